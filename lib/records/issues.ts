/** The limits of an import and the problems it reports (listed up to a bound, the rest counted). */
import type { Dataset } from "./dataset";

export interface Issue {
  severity: "error" | "warning";
  /** 1-based data row; the header is row 0 (CSV). */
  row?: number;
  /** 1-based line of the input where the row starts (CSV; differs from row + 1 with blank lines or quoted line breaks). */
  line?: number;
  column?: string;
  /** JSON path for FHIR, e.g. "entry[3].resource.valueQuantity.value". */
  path?: string;
  message: string;
}

/** An import never returns a dataset together with an error issue. */
export interface ImportResult {
  dataset: Dataset | null;
  issues: Issue[];
}

export interface Limits {
  /** UTF-8 bytes of the whole file. */
  maxBytes: number;
  /** Data rows (CSV) or Patients (FHIR). */
  maxRows: number;
  maxColumns: number;
  /** Characters in one cell. */
  maxCellLength: number;
}

export const MAX_FILE_BYTES = 50 * 1024 * 1024;
export const MAX_ROWS = 100_000;
export const MAX_COLUMNS = 500;
export const MAX_CELL_LENGTH = 10_000;
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBytes: MAX_FILE_BYTES,
  maxRows: MAX_ROWS,
  maxColumns: MAX_COLUMNS,
  maxCellLength: MAX_CELL_LENGTH,
});
/** Issues listed one by one; the rest are summarised in one final issue per severity. */
export const MAX_LISTED_ISSUES = 100;

export const hasErrors = (issues: readonly Issue[]): boolean => issues.some((i) => i.severity === "error");

export function resolveLimits(limits?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...limits };
}

/** UTF-8 length of a string without encoding it (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const mb = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;

/** The file-size limit as an issue, or null. Also usable on File.size before reading the file. */
export function fileSizeIssue(bytes: number, limits: Limits = DEFAULT_LIMITS): Issue | null {
  if (bytes <= limits.maxBytes) return null;
  return { severity: "error", message: `The file is ${mb(bytes)}; the limit is ${mb(limits.maxBytes)}. Split it into smaller files.` };
}

/** Size check on text already read: cheap when the text is clearly small enough. */
export function textSizeIssue(text: string, limits: Limits): Issue | null {
  // Every UTF-16 code unit is 1 to 3 UTF-8 bytes (a surrogate pair: 4 bytes for 2 units).
  if (text.length * 3 <= limits.maxBytes) return null;
  return fileSizeIssue(text.length > limits.maxBytes ? text.length : utf8ByteLength(text), limits);
}

export const limitIssue = (message: string, at: Omit<Issue, "severity" | "message"> = {}): Issue => ({ severity: "error", ...at, message });

/** Collects issues, listing at most MAX_LISTED_ISSUES and summarising the rest. */
export class IssueList {
  private readonly listed: Issue[] = [];
  private readonly hidden = { error: 0, warning: 0 };
  errors = 0;

  add(issue: Issue): void {
    if (issue.severity === "error") this.errors++;
    if (this.listed.length < MAX_LISTED_ISSUES) this.listed.push(issue);
    else this.hidden[issue.severity]++;
  }
  error(message: string, at: Omit<Issue, "severity" | "message"> = {}): void {
    this.add({ severity: "error", ...at, message });
  }
  warning(message: string, at: Omit<Issue, "severity" | "message"> = {}): void {
    this.add({ severity: "warning", ...at, message });
  }
  get hasErrors(): boolean {
    return this.errors > 0;
  }
  toArray(): Issue[] {
    const out = [...this.listed];
    if (this.hidden.error) out.push({ severity: "error", message: `…and ${this.hidden.error} more errors not listed.` });
    if (this.hidden.warning) out.push({ severity: "warning", message: `…and ${this.hidden.warning} more warnings not listed.` });
    return out;
  }
}
