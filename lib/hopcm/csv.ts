/**
 * A small RFC 4180 CSV parser: header row, quoted fields with "" escapes, commas and line
 * breaks inside quotes, CRLF or LF, optional UTF-8 BOM. Blank lines are skipped.
 */

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

export function parseCsv(text: string, delimiter = ","): CsvTable {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" || delimiter === "\r")
    throw new RangeError(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const records: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  let i = 0;
  const len = text.length;
  while (i < len) {
    const startLine = line;
    const fields: string[] = [];
    let rowBlank = true;
    for (;;) {
      let value = "";
      if (text[i] === '"') {
        rowBlank = false;
        i++;
        for (;;) {
          if (i >= len) throw new CsvError("unterminated quoted field", startLine);
          const ch = text[i];
          if (ch === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === "\n") line++;
          value += ch;
          i++;
        }
        if (i < len && text[i] !== delimiter && text[i] !== "\n" && text[i] !== "\r")
          throw new CsvError(`unexpected ${JSON.stringify(text[i])} after a closing quote`, line);
      } else {
        const start = i;
        while (i < len && text[i] !== delimiter && text[i] !== "\n" && text[i] !== "\r") i++;
        value = text.slice(start, i);
        if (value.length > 0) rowBlank = false;
      }
      fields.push(value);
      if (i < len && text[i] === delimiter) {
        rowBlank = false;
        i++;
        continue;
      }
      break;
    }
    if (text[i] === "\r") i++;
    if (text[i] === "\n") i++;
    line++;
    if (rowBlank && fields.length === 1) continue; // blank line
    records.push(fields);
    lines.push(startLine);
  }
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
    if (r.length !== header.length)
      throw new CsvError(`expected ${header.length} fields (as in the header), found ${r.length}`, lines[idx + 1]);
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
