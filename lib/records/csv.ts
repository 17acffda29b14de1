/**
 * lib/csv's reader worded for uploads: every problem at once, as issues with data-row, line and
 * column (lib/hopcm's command throws the first instead). Stops early, with a single issue, when a
 * limit is exceeded or a quoted field is never closed (the rest of the file would be one field).
 */
import { readCsv } from "../csv/csv";
import type { Issue, Limits } from "./dataset";

export { writeCsv } from "../csv/csv";

export interface CsvRecords {
  /** The header is records[0]. */
  records: string[][];
  /** 1-based input line on which each record starts. */
  lines: number[];
}

export type TokenizeResult =
  | ({ ok: true; warnings: Issue[] } & CsvRecords)
  /** A problem that stops reading: limit exceeded (the only issue reported) or an unterminated quote. */
  | { ok: false; issue: Issue; limit: boolean; warnings: Issue[] };

/** Human label of field c of a record, by header name when there is one. */
export const fieldLabel = (header: readonly string[] | undefined, c: number): string =>
  header && c < header.length && header[c] !== "" ? header[c] : `#${c + 1}`;

export function tokenizeCsv(text: string, delimiter: string, limits: Pick<Limits, "maxRows" | "maxCellLength">): TokenizeResult {
  const read = readCsv(text, { delimiter, maxDataRows: limits.maxRows, maxCellLength: limits.maxCellLength });
  // Fields of the header itself are named by position.
  const label = (record: number, field: number) => fieldLabel(record === 0 ? undefined : read.records[0], field);
  const warnings: Issue[] = read.textAfterQuote.map((t) => ({
    severity: "warning",
    row: t.record,
    line: t.line,
    column: label(t.record, t.field),
    message: `Row ${t.record}: text follows a closing quote (${JSON.stringify(t.text.slice(0, 20))}); it was kept as part of the field.`,
  }));
  const { stop } = read;
  if (stop?.kind === "tooManyRows")
    return {
      ok: false,
      limit: true,
      warnings: [],
      issue: {
        severity: "error",
        message: `The file has more than ${limits.maxRows.toLocaleString("en-US")} data rows (the limit). Split it into smaller files.`,
      },
    };
  if (stop?.kind === "cellTooLong")
    return {
      ok: false,
      limit: true,
      warnings: [],
      issue: {
        severity: "error",
        row: stop.record,
        line: stop.line,
        column: label(stop.record, stop.field),
        message: `A cell in row ${stop.record} is longer than ${limits.maxCellLength} characters (the limit). Is the delimiter right, or a quote left open?`,
      },
    };
  if (stop?.kind === "unterminatedQuote")
    return {
      ok: false,
      limit: false,
      warnings,
      issue: {
        severity: "error",
        row: stop.record,
        line: stop.line,
        column: label(stop.record, stop.field),
        message: `${stop.record === 0 ? "The header" : `Row ${stop.record}`} (line ${stop.line}) opens a quoted field that is never closed: the file ends inside quotes.`,
      },
    };
  if (read.strayQuotes > 0)
    warnings.push({
      severity: "warning",
      message: `${read.strayQuotes} quote character(s) appear inside unquoted fields; they were kept as text. Quote such fields ("a ""b"" c") in standard CSV.`,
    });
  return { ok: true, records: read.records, lines: read.lines, warnings };
}
