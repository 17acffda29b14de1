/**
 * The one CSV reader and writer, over papaparse: RFC 4180 quoting ("" escapes, delimiters and
 * line breaks inside quotes), a UTF-8 BOM, CRLF or LF line ends (mixed in one file too), CR-only
 * files, blank or whitespace-only lines (skipped). Pure and isomorphic.
 *
 * `readCsv` reports what it found as data (line numbers, field indexes), never as prose: the
 * upload importer (lib/records/csv.ts) words it for users and collects every problem, the
 * clustering command (`parseCsv`) throws the first as a CsvError.
 *
 * Where papaparse alone reads differently, this module keeps the stricter behaviour it replaced:
 * - `"abc"def` (text after a closing quote): papaparse runs on to the next valid closing quote,
 *   possibly the end of the file; here the field is `abcdef` and a `textAfterQuote` is reported.
 * - mixed CRLF / LF: papaparse picks one line break for the file; here a row ends at either.
 * Not kept: whitespace alone after a closing quote is dropped silently (`"x"  ,`), and in a file
 * of LF or CRLF lines a lone CR ends a line only after a closing quote (elsewhere it is text).
 */
import Papa from "papaparse";

export interface CsvReadOptions {
  /** Field delimiter (default ","). */
  delimiter?: string;
  /** Stop (with `tooManyRows`) after this many data rows. */
  maxDataRows?: number;
  /** Stop (with `cellTooLong`) at the first field longer than this. */
  maxCellLength?: number;
}

/** Where a problem is: record index (the header is 0), its 1-based first input line, field index. */
export interface CsvPlace {
  record: number;
  line: number;
  field: number;
}

/** Why reading stopped early. An unterminated quote would make the rest of the file one field. */
export type CsvStop = ({ kind: "unterminatedQuote" } & CsvPlace) | ({ kind: "cellTooLong" } & CsvPlace) | { kind: "tooManyRows" };

export interface CsvRead {
  /** Every non-blank record; the header (if any) is records[0]. */
  records: string[][];
  /** 1-based input line on which each record starts. */
  lines: number[];
  /** `"abc"def`: the text after the closing quote was kept as part of the field. */
  textAfterQuote: (CsvPlace & { text: string; /** Line of the closing quote. */ quoteLine: number })[];
  /** Quote characters inside unquoted fields (kept as text). */
  strayQuotes: number;
  /** Set when reading stopped early; records and lines then hold what was read before. */
  stop: CsvStop | null;
}

const QUOTE = '"';

export function checkDelimiter(delimiter: string): void {
  if (delimiter.length !== 1 || delimiter === QUOTE || delimiter === "\n" || delimiter === "\r" || delimiter === "\uFEFF")
    throw new RangeError(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
}

/** Delimiters detectDelimiter tells apart, in the order it prefers them on a tie. */
export const DETECTED_DELIMITERS = [",", ";", "\t", "|"] as const;

/**
 * The delimiter a file was written with, guessed by papaparse from its first rows (the one giving
 * the same number of fields, more than one, on every row); "," when none does, e.g. a file of one
 * column. Spreadsheets in much of Europe write ";" (their decimal separator is the comma).
 */
export function detectDelimiter(text: string): string {
  const sample = text.slice(0, 64 * 1024);
  const guessed = Papa.parse(sample, { preview: 20, delimitersToGuess: [...DETECTED_DELIMITERS], quoteChar: QUOTE, skipEmptyLines: true }).meta.delimiter;
  return (DETECTED_DELIMITERS as readonly string[]).includes(guessed) ? guessed : ",";
}

/** Line breaks in text[from, to): LF, CRLF or a lone CR each count once. */
function lineBreaks(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\r", from); i !== -1 && i < to; i = text.indexOf("\r", i + 1)) if (text.charCodeAt(i + 1) !== 10) n++;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

const countQuotes = (s: string): number => {
  let n = 0;
  for (let i = s.indexOf(QUOTE); i !== -1; i = s.indexOf(QUOTE, i + 1)) n++;
  return n;
};

/**
 * Start offset and quoting of each field of a record papaparse read from text[start...].
 * A field is quoted when it starts with a quote; papaparse allows whitespace after the closing
 * quote, before the delimiter.
 */
function fieldStarts(text: string, start: number, fields: readonly string[], delimiter: string): { at: number; quoted: boolean }[] {
  const out: { at: number; quoted: boolean }[] = [];
  let p = start;
  for (const f of fields) {
    const quoted = text[p] === QUOTE;
    out.push({ at: p, quoted });
    if (quoted) {
      p += 2 + f.length + countQuotes(f);
      const d = text.indexOf(delimiter, p);
      p = d === -1 ? text.length : d + 1;
    } else p += f.length + 1;
  }
  return out;
}

/** A field rewritten by repairQuotes; offsets in the repaired text. */
interface Repair {
  open: number;
  close: number;
  after: string;
}

/**
 * text[from...] with every `"abc"def` field (text after the closing quote, up to the delimiter
 * or line end) rewritten as the valid `"abcdef"`, so papaparse reads it as the old tokenizers
 * did. One pass over the quotes. Whitespace alone after a closing quote is left to papaparse
 * (which drops it), except in the field papaparse flagged (`flagged`, its opening quote).
 */
function repairQuotes(text: string, from: number, delimiter: string, lineEnd: string, flagged: number): { text: string; repairs: Repair[] } {
  const parts = [text.slice(0, from)];
  const repairs: Repair[] = [];
  let copied = from;
  let shift = 0; // repaired text is longer by the quotes doubled so far
  for (let open = text.indexOf(QUOTE, from); open !== -1;) {
    if (open !== from && text[open - 1] !== delimiter && text[open - 1] !== lineEnd) {
      open = text.indexOf(QUOTE, open + 1); // inside an unquoted field: text
      continue;
    }
    let close = text.indexOf(QUOTE, open + 1);
    while (close !== -1 && text[close + 1] === QUOTE) close = text.indexOf(QUOTE, close + 2);
    if (close === -1) break; // never closed: papaparse reports it
    let end = close + 1;
    while (end < text.length && text[end] !== delimiter && text[end] !== "\n" && text[end] !== "\r") end++;
    const after = text.slice(close + 1, end);
    // A lone CR ends a line, as in the old tokenizers; papaparse reading "\n" would not see it.
    const loneCr = lineEnd === "\n" && text[end] === "\r" && text[end + 1] !== "\n";
    if (after.trim() !== "" || open === flagged || loneCr) {
      const escaped = after.replaceAll(QUOTE, '""');
      parts.push(text.slice(copied, close), escaped, QUOTE, loneCr ? "\n" : "");
      if (after !== "") repairs.push({ open: open + shift, close: close + shift, after });
      shift += escaped.length - after.length;
      copied = loneCr ? end + 1 : end;
    }
    open = text.indexOf(QUOTE, end);
  }
  parts.push(text.slice(copied));
  return { text: parts.join(""), repairs };
}

export function readCsv(input: string, opts: CsvReadOptions = {}): CsvRead {
  const delimiter = opts.delimiter ?? ",";
  checkDelimiter(delimiter);
  const maxDataRows = opts.maxDataRows ?? Infinity;
  const maxCellLength = opts.maxCellLength ?? Infinity;
  let text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const out: CsvRead = { records: [], lines: [], textAfterQuote: [], strayQuotes: 0, stop: null };
  if (text === "") return out;

  // Papaparse guesses one line break per file (ignoring quoted text). Reading with "\n" also ends
  // rows at CRLF, so a file mixing the two reads right; the CR is taken off the last field below.
  const newline = Papa.parse(text, { delimiter, preview: 1 }).meta.linebreak === "\r" ? "\r" : "\n";

  let from = 0; // offset in text where the current parse starts
  let line = 1; // line of text[from]
  let repairs: Repair[] = [];
  let nextRepair = 0;
  let flagged = -1; // opening quote of the field papaparse last flagged
  // Papaparse reads until the end, or until the first field with text after its closing quote;
  // then the rest of the file is repaired and read again from that record.
  for (let pass = true; pass;) {
    pass = false;
    const chunk = from === 0 ? text : text.slice(from);
    let start = 0; // of the current record, in chunk
    Papa.parse<string[]>(chunk, {
      delimiter,
      newline,
      quoteChar: QUOTE,
      escapeChar: QUOTE,
      skipEmptyLines: false,
      step: ({ data, errors, meta }, parser) => {
        const fields = data;
        const end = meta.cursor;
        const record = out.records.length;
        const place = (field: number): CsvPlace => ({ record, line, field });
        const bad = errors.find((e) => e.code === "InvalidQuotes");
        if (bad) {
          const open = bad.index === undefined ? -1 : from + bad.index - 1;
          if (open === flagged) {
            // Repairing did not satisfy papaparse (not seen in tests): read the field as never closed.
            out.stop = { kind: "unterminatedQuote", ...place(fields.length - 1) };
            return parser.abort();
          }
          flagged = open;
          ({ text, repairs } = repairQuotes(text, from + start, delimiter, newline, open));
          nextRepair = 0;
          from += start;
          pass = true;
          return parser.abort();
        }
        while (nextRepair < repairs.length && repairs[nextRepair].open < from + end) {
          const { open, close, after } = repairs[nextRepair++];
          const field = fieldStarts(chunk, start, fields, delimiter).findIndex((f) => f.at === open - from);
          out.textAfterQuote.push({ ...place(field), text: after, quoteLine: line + lineBreaks(chunk, start, close - from) });
        }
        if (errors.some((e) => e.code === "MissingQuotes")) {
          out.stop = { kind: "unterminatedQuote", ...place(fields.length - 1) };
          return parser.abort();
        }
        const raw = chunk.slice(start, end);
        const blank = fields.length === 1 && raw.trim() === "";
        if (!blank) {
          if (raw.includes(QUOTE))
            fieldStarts(chunk, start, fields, delimiter).forEach((f, c) => {
              if (!f.quoted) out.strayQuotes += countQuotes(fields[c]);
            });
          // A CRLF row read with newline "\n": its last field, when unquoted, ends in the CR.
          const last = fields.length - 1;
          if (newline === "\n" && fields[last].endsWith("\r") && !fieldStarts(chunk, start, fields, delimiter)[last].quoted)
            fields[last] = fields[last].slice(0, -1);
          const long = fields.findIndex((f) => f.length > maxCellLength);
          if (long !== -1) {
            out.stop = { kind: "cellTooLong", ...place(long) };
            return parser.abort();
          }
          out.records.push(fields);
          out.lines.push(line);
          if (out.records.length - 1 > maxDataRows) {
            out.stop = { kind: "tooManyRows" };
            return parser.abort();
          }
        }
        line += lineBreaks(chunk, start, end);
        start = end;
      },
    });
  }
  return out;
}

/** The clustering command's reader: the first problem is thrown with its input line. */
export class CsvError extends Error {
  constructor(
    message: string,
    /** 1-based line of the problem in the input. */
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "CsvError";
  }
}

export interface CsvTable {
  header: string[];
  rows: string[][];
  /** 1-based input line on which each row starts (for error messages). */
  lines: number[];
}

/** A header row and rows of as many fields, or a CsvError. Header names are trimmed, fields are not. */
export function parseCsv(text: string, delimiter = ","): CsvTable {
  const read = readCsv(text, { delimiter });
  const odd = read.textAfterQuote[0];
  if (odd) throw new CsvError(`unexpected ${JSON.stringify(odd.text[0])} after a closing quote`, odd.quoteLine);
  if (read.stop?.kind === "unterminatedQuote") throw new CsvError("unterminated quoted field", read.stop.line);
  const { records, lines } = read;
  if (records.length === 0) throw new CsvError("no header row (the input is empty)", 1);
  const header = records[0].map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, c) => {
    if (h === "") throw new CsvError(`header column ${c + 1} has no name`, lines[0]);
    if (seen.has(h)) throw new CsvError(`duplicate column name ${JSON.stringify(h)} in the header`, lines[0]);
    seen.add(h);
  });
  const rows = records.slice(1);
  rows.forEach((r, idx) => {
    if (r.length !== header.length) throw new CsvError(`expected ${header.length} fields (as in the header), found ${r.length}`, lines[idx + 1]);
  });
  return { header, rows, lines: lines.slice(1) };
}

/** Rows as records keyed by header name. */
export function csvRecords(table: CsvTable): Record<string, string>[] {
  return table.rows.map((r) => {
    const rec: Record<string, string> = {};
    table.header.forEach((h, c) => (rec[h] = r[c]));
    return rec;
  });
}

/**
 * RFC 4180 text of a table: fields quoted when needed (and when they start or end with
 * whitespace, which readers may trim), null as an empty field, CRLF line ends.
 */
export function writeCsv(columns: readonly string[], rows: readonly Record<string, string | number | null | undefined>[], delimiter = ","): string {
  const data = rows.map((r) => columns.map((c) => r[c] ?? null));
  const edgeSpace = (v: unknown) => typeof v === "string" && /^\s|\s$/.test(v);
  // Arrays, not { fields, data }: unparse reads `data: []` as one empty row.
  return Papa.unparse([[...columns], ...data], { delimiter, newline: "\r\n", quotes: edgeSpace }) + "\r\n";
}
