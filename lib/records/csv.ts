/**
 * A strict RFC 4180 tokenizer that reports problems instead of throwing at the first one, and
 * the matching writer. lib/hopcm/csv.ts throws one CsvError with an input line; uploads need
 * every row-level problem at once, with data-row and column, so this is a separate parser.
 *
 * Accepts: quoted fields with "" escapes and delimiters/line breaks inside, CRLF, LF or CR line
 * ends, a UTF-8 BOM, blank or whitespace-only lines (skipped). Stops early, with a single issue, when a limit is
 * exceeded or a quoted field is never closed (the rest of the file would be one field).
 */
import type { Cell, Issue, Limits } from "./dataset";

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

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Human label of field c of a record, by header name when there is one. */
export const fieldLabel = (header: readonly string[] | undefined, c: number): string =>
  header && c < header.length && header[c] !== "" ? header[c] : `#${c + 1}`;

/** Row number of record r: the header is row 0, data rows count from 1. */
const at = (r: number, line: number) => ({ row: r, line });

export function tokenizeCsv(text: string, delimiter: string, limits: Pick<Limits, "maxRows" | "maxCellLength">): TokenizeResult {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r")
    throw new RangeError(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
  const D = delimiter.charCodeAt(0);
  const len = text.length;
  const records: string[][] = [];
  const lines: number[] = [];
  const warnings: Issue[] = [];
  let strayQuotes = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const tooLong = (r: number, c: number, startLine: number): TokenizeResult => ({
    ok: false,
    limit: true,
    warnings: [],
    issue: {
      severity: "error",
      ...at(r, startLine),
      column: fieldLabel(records[0], c),
      message: `A cell in row ${r} is longer than ${limits.maxCellLength} characters (the limit). Is the delimiter right, or a quote left open?`,
    },
  });

  while (i < len) {
    const startLine = line;
    const r = records.length; // record index = row number (header 0)
    const c0 = text.charCodeAt(i);
    if (c0 === LF || c0 === CR) {
      // blank line
      i += c0 === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    let quoted = false;
    for (;;) {
      const c = fields.length;
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        quoted = true;
        i++;
        value = "";
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            return {
              ok: false,
              limit: false,
              warnings,
              issue: {
                severity: "error",
                ...at(r, startLine),
                column: fieldLabel(records[0], c),
                message: `${r === 0 ? "The header" : `Row ${r}`} (line ${startLine}) opens a quoted field that is never closed: the file ends inside quotes.`,
              },
            };
          }
          for (let k = i; k < q; k++) if (text.charCodeAt(k) === LF) line++;
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(i, q + 1);
            i = q + 2;
          } else {
            value += text.slice(i, q);
            i = q + 1;
            break;
          }
          if (value.length > limits.maxCellLength) return tooLong(r, c, startLine);
        }
        if (i < len) {
          const ch = text.charCodeAt(i);
          if (ch !== D && ch !== LF && ch !== CR) {
            // `"abc"def`: keep the text, but this is not valid CSV and the user should know.
            const start = i;
            while (i < len && text.charCodeAt(i) !== D && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i++;
            value += text.slice(start, i);
            warnings.push({
              severity: "warning",
              ...at(r, startLine),
              column: fieldLabel(records[0], c),
              message: `Row ${r}: text follows a closing quote (${JSON.stringify(text.slice(start, Math.min(i, start + 20)))}); it was kept as part of the field.`,
            });
          }
        }
      } else {
        const start = i;
        while (i < len) {
          const ch = text.charCodeAt(i);
          if (ch === D || ch === LF || ch === CR) break;
          if (ch === QUOTE) strayQuotes++;
          i++;
        }
        value = text.slice(start, i);
      }
      if (value.length > limits.maxCellLength) return tooLong(r, c, startLine);
      fields.push(value);
      if (i < len && text.charCodeAt(i) === D) {
        i++;
        continue;
      }
      break;
    }
    if (text.charCodeAt(i) === CR) i++;
    if (text.charCodeAt(i) === LF) i++;
    line++;
    if (fields.length === 1 && !quoted && fields[0].trim() === "") continue; // a line of spaces is blank
    records.push(fields);
    lines.push(startLine);
    if (records.length - 1 > limits.maxRows) {
      return {
        ok: false,
        limit: true,
        warnings: [],
        issue: { severity: "error", message: `The file has more than ${limits.maxRows.toLocaleString("en-US")} data rows (the limit). Split it into smaller files.` },
      };
    }
  }
  if (strayQuotes > 0)
    warnings.push({
      severity: "warning",
      message: `${strayQuotes} quote character(s) appear inside unquoted fields; they were kept as text. Quote such fields ("a ""b"" c") in standard CSV.`,
    });
  return { ok: true, records, lines, warnings };
}

/** RFC 4180 text of a table: fields quoted when needed, null as an empty field, CRLF line ends. */
export function writeCsv(columns: readonly string[], rows: readonly Record<string, Cell>[], delimiter = ","): string {
  const needsQuote = new RegExp(`["\\r\\n${delimiter.replace(/[\\\]^-]/g, "\\$&")}]|^\\s|\\s$`);
  const field = (v: Cell | undefined): string => {
    if (v === null || v === undefined) return "";
    const s = typeof v === "number" ? String(v) : v;
    return needsQuote.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const out: string[] = [columns.map(field).join(delimiter)];
  for (const r of rows) out.push(columns.map((c) => field(r[c])).join(delimiter));
  return out.join("\r\n") + "\r\n";
}
