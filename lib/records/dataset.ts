/**
 * The table every import produces and every later step (PHI check, de-identification,
 * encoding, features) consumes, plus the limits, the issue type and column-type inference.
 * Pure and isomorphic: runs in the browser, a Web Worker and Node.
 */

export type Cell = string | number | null;
export type Row = Record<string, Cell>;

/**
 * numeric: every present value is a number. date: ISO/US/European dates (kept as strings).
 * identifier: one distinct value per row, or an id-like column name. text: long or mostly
 * distinct strings (free text, names). categorical: everything else.
 */
export type ColumnKind = "numeric" | "categorical" | "date" | "identifier" | "text";

/** How deidentify() rewrote a column (see phi.ts). */
export type Generalization = "year" | "birth-year" | "zip3" | "age";

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  /** Rows where the value is null. */
  missing: number;
  /** Distinct present values. */
  distinct: number;
  /** Numeric columns only. */
  min?: number;
  max?: number;
  /** FHIR Observation columns: the code the column was built from and its unit. */
  code?: { system?: string; code: string; display?: string };
  unit?: string;
  /** Set by deidentify() on generalised columns. */
  generalized?: Generalization;
}

export interface Dataset {
  source: "csv" | "fhir";
  columns: ColumnInfo[];
  /** Keys in column order; every row has every column (null when missing). */
  rows: Row[];
}

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

// ---------------------------------------------------------------------------------------
// Values

/**
 * Cell texts read as missing (after trimming). "?" is UCI's marker; "NA"/"N/A"/"NaN" are R's and
 * Excel's. Not "-" or "None": in clinical data they are results ("-" negative, smoking "None").
 */
export const DEFAULT_MISSING_VALUES: readonly string[] = ["", "NA", "N/A", "n/a", "NaN", "null", "NULL", "?"];

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const LEADING_ZERO_INT_RE = /^0\d+$/;

/** A decimal number as a CSV would write it (no hex, no Infinity, no thousands separators), else null. */
export function parseNumber(text: string): number | null {
  if (!NUMBER_RE.test(text)) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

export interface DateParts {
  year: number;
  month: number;
  day: number;
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const ISO_DATE_RE = /^(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const SLASH_DATE_RE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp][Mm])?)?$/;
const YMD_SLASH_RE = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/;
const NAMED_DMY_RE = /^(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -,]+(\d{4})$/;
const NAMED_MDY_RE = /^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$/;

const monthIndex = (name: string): number => {
  const m = MONTHS.indexOf(name.slice(0, 3).toLowerCase());
  return m < 0 ? 0 : m + 1;
};
const valid = (year: number, month: number, day: number): DateParts | null =>
  year >= 1000 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= 31 ? { year, month, day } : null;

/**
 * A calendar date with at least a month: ISO 8601 (YYYY-MM, YYYY-MM-DD, date-times, as FHIR
 * writes them), M/D/YYYY or D.M.YYYY (the year is what matters for de-identification, so the
 * day/month order need not be known), YYYY/MM/DD, "5 Mar 2024", "March 5, 2024". Else null.
 */
export function parseDate(text: string): DateParts | null {
  let m = ISO_DATE_RE.exec(text);
  if (m) return valid(+m[1], +m[2], m[3] ? +m[3] : 1);
  m = SLASH_DATE_RE.exec(text);
  if (m) {
    const a = +m[1], b = +m[2];
    // US month/day first; fall back to day/month when the first part cannot be a month.
    return a <= 12 ? valid(+m[3], a, b) : valid(+m[3], b, a);
  }
  m = YMD_SLASH_RE.exec(text);
  if (m) return valid(+m[1], +m[2], +m[3]);
  m = NAMED_DMY_RE.exec(text);
  if (m) return valid(+m[3], monthIndex(m[2]), +m[1]);
  m = NAMED_MDY_RE.exec(text);
  if (m) return valid(+m[3], monthIndex(m[1]), +m[2]);
  return null;
}

/** "patientID" / "Postal_Code" / "8867-4 Heart rate" -> "patient id" / "postal code" / "8867 4 heart rate". */
export function normalizeName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

/** Names of columns holding codes or identifiers: never numeric, even when the values are digits (ZIP 02139, MRN 0012). */
const CODE_NAME_RE = /\b(id|ids|uuid|guid|identifier|mrn|ssn|zip|zipcode|postal|postcode|phone|telephone|tel|fax|mobile|npi|account|acct|code)\b/;
const ID_NAME_RE = /\b(id|uuid|guid|identifier|mrn|ssn|key)\b/;

export const isCodeName = (name: string): boolean => CODE_NAME_RE.test(normalizeName(name));
export const isIdName = (name: string): boolean => ID_NAME_RE.test(normalizeName(name));

/** Share of present values that must parse as numbers for a column to be numeric. */
export const NUMERIC_SHARE = 0.9;
const DATE_SHARE = 0.9;

/**
 * The kind of a column from its name and its present (non-missing, trimmed) string values.
 * A column is numeric when at least NUMERIC_SHARE of its values are numbers, unless its name
 * says it holds codes or the digits carry leading zeros (ZIP, MRN): the values that are not
 * numbers are then reported by the importer.
 */
export function inferKind(name: string, values: readonly string[]): ColumnKind {
  const n = values.length;
  if (n === 0) return "text";
  const distinct = new Set(values).size;
  const idName = isIdName(name);
  if (idName && distinct === n) return "identifier";
  if (!isCodeName(name)) {
    let numbers = 0;
    let leadingZero = false;
    for (const v of values) {
      if (parseNumber(v) !== null) {
        numbers++;
        if (!leadingZero && LEADING_ZERO_INT_RE.test(v.replace(/^[+-]/, ""))) leadingZero = true;
      }
    }
    if (numbers >= NUMERIC_SHARE * n && !leadingZero) return "numeric";
  }
  return inferStringKind(values, distinct);
}

function inferStringKind(values: readonly string[], distinct: number): ColumnKind {
  const n = values.length;
  let dates = 0;
  let chars = 0;
  for (const v of values) {
    if (parseDate(v)) dates++;
    chars += v.length;
  }
  if (dates >= DATE_SHARE * n) return "date";
  const avg = chars / n;
  if (avg > 64) return "text";
  if (distinct === n && n >= 20) return "identifier";
  if (distinct > 50 && distinct > 0.5 * n) return "text";
  return "categorical";
}

/** The kind of a column of typed cells (after import or de-identification). */
export function inferCellKind(name: string, cells: readonly Cell[]): ColumnKind {
  const strings: string[] = [];
  let numbers = 0;
  for (const c of cells) {
    if (c === null) continue;
    if (typeof c === "number") numbers++;
    else strings.push(c);
  }
  if (numbers > 0 && strings.length === 0) return "numeric";
  if (numbers > 0) return "categorical"; // mixed: e.g. ages with "90+"
  const kind = inferKind(name, strings);
  // Strings stay strings: a column of digit strings is a code, not a measurement.
  return kind === "numeric" ? "categorical" : kind;
}

/** Missing / distinct / min / max of one column of typed cells. */
export function summarize(name: string, kind: ColumnKind, cells: readonly Cell[]): ColumnInfo {
  let missing = 0;
  let min = Infinity;
  let max = -Infinity;
  const seen = new Set<Cell>();
  for (const c of cells) {
    if (c === null) {
      missing++;
      continue;
    }
    seen.add(c);
    if (typeof c === "number") {
      if (c < min) min = c;
      if (c > max) max = c;
    }
  }
  const info: ColumnInfo = { name, kind, missing, distinct: seen.size };
  if (kind === "numeric" && min <= max) {
    info.min = min;
    info.max = max;
  }
  return info;
}

/** Column values in row order. */
export const columnValues = (dataset: Dataset, column: string): Cell[] => dataset.rows.map((r) => r[column] ?? null);
