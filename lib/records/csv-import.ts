/**
 * CSV text -> Dataset. A header row is required. Any error -> dataset null (the UI uploads
 * nothing); warnings leave the dataset usable.
 *
 * Errors: empty file, header only, empty or duplicate column names, a row with a different
 * number of fields than the header, an unterminated quote, a value that is not a number in a
 * column that is otherwise numeric (set `invalidNumbers: "missing"` to turn those into
 * warnings and empty cells instead), and the limits (file size, rows, columns, cell length:
 * reported alone, nothing else is checked).
 * Warnings: text after a closing quote (spaces alone are dropped) or quotes inside unquoted fields (kept as text), rows
 * whose cells are all empty (skipped), columns with no values, a delimiter other than the comma
 * (detected from the first rows; such a file's decimal commas are read in numeric columns).
 * Cells are trimmed; DEFAULT_MISSING_VALUES ("", "NA", "?", ...) become null.
 */
import { detectDelimiter } from "../csv/csv";
import { fieldLabel, tokenizeCsv } from "./csv";
import {
  type Cell,
  type ColumnInfo,
  type Dataset,
  DEFAULT_MISSING_VALUES,
  type ImportResult,
  IssueList,
  type Limits,
  inferKind,
  NUMERIC_SHARE,
  parseNumber,
  resolveLimits,
  type Row,
  setCell,
  summarize,
  textSizeIssue,
} from "./dataset";

export interface CsvImportOptions {
  /** Field delimiter (default: detected from the first rows, "," when unclear). */
  delimiter?: string;
  /** Cell texts read as missing, compared after trimming (default DEFAULT_MISSING_VALUES). */
  missingValues?: readonly string[];
  /** A non-number in a numeric column: "error" (default) or "missing" (a warning, cell null). */
  invalidNumbers?: "error" | "missing";
  limits?: Partial<Limits>;
}

const DECIMAL_COMMA_RE = /^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$/;
const commaToDot = (v: string): string => (DECIMAL_COMMA_RE.test(v) ? v.replace(",", ".") : v);
const DELIMITER_NAMES: Record<string, string> = { ";": "semicolons", "\t": "tabs", "|": "vertical bars" };

const only = (issue: ImportResult["issues"][number]): ImportResult => ({ dataset: null, issues: [issue] });

export function parseCsvDataset(text: string, opts: CsvImportOptions = {}): ImportResult {
  const limits = resolveLimits(opts.limits);
  const sizeIssue = textSizeIssue(text, limits);
  if (sizeIssue) return only(sizeIssue);

  const delimiter = opts.delimiter ?? detectDelimiter(text);
  const tok = tokenizeCsv(text, delimiter, limits);
  if (!tok.ok) return tok.limit ? only(tok.issue) : { dataset: null, issues: [tok.issue, ...tok.warnings] };

  const { records, lines } = tok;

  if (records.length === 0) return only({ severity: "error", row: 0, message: "The file is empty: a header row with column names is required." });

  const header = records[0].map((h) => h.trim());
  if (header.length > limits.maxColumns)
    return only({ severity: "error", row: 0, line: lines[0], message: `The file has ${header.length} columns; the limit is ${limits.maxColumns}.` });

  const issues = new IssueList();
  tok.warnings.forEach((w) => issues.add(w));
  // A file separated by something else than commas may write decimals with a comma (1,5).
  const decimalComma = delimiter !== ",";
  let commaDecimals = 0;

  const firstIndex = new Map<string, number>();
  header.forEach((h, c) => {
    if (h === "") {
      issues.error(`Column ${c + 1} of the header has no name${c === header.length - 1 ? " (a trailing delimiter?)" : ""}.`, {
        row: 0,
        line: lines[0],
        column: `#${c + 1}`,
      });
      return;
    }
    const first = firstIndex.get(h);
    if (first !== undefined)
      issues.error(`Column name ${JSON.stringify(h)} appears twice in the header (columns ${first + 1} and ${c + 1}).`, { row: 0, line: lines[0], column: h });
    else firstIndex.set(h, c);
  });

  if (records.length === 1) issues.error("The file has a header but no data rows.", { row: 0, line: lines[0] });

  const missingSet = new Set(opts.missingValues ?? DEFAULT_MISSING_VALUES);
  // Trimmed cells of the well-formed rows (null = missing), with their row numbers and lines.
  const cells: (string | null)[][] = [];
  const rowNumbers: number[] = [];
  const rowLines: number[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    const line = lines[r];
    if (rec.length !== header.length) {
      const trailing = rec.length === header.length + 1 && rec[rec.length - 1].trim() === "" ? " (a trailing delimiter?)" : "";
      issues.error(`Row ${r} (line ${line}) has ${rec.length} fields; the header has ${header.length}${trailing}.`, { row: r, line });
      continue;
    }
    const row = rec.map((v) => {
      const t = v.trim();
      return missingSet.has(t) ? null : t;
    });
    if (row.every((v) => v === null)) {
      issues.warning(`Row ${r} (line ${line}) is empty; it was skipped.`, { row: r, line });
      continue;
    }
    cells.push(row);
    rowNumbers.push(r);
    rowLines.push(line);
  }

  const columns: ColumnInfo[] = [];
  const typed: Cell[][] = [];
  header.forEach((name, c) => {
    const present: string[] = [];
    for (const row of cells) if (row[c] !== null) present.push(row[c] as string);
    // decimal commas count as numbers only when they make the column numeric
    const withDots = decimalComma && present.some((v) => DECIMAL_COMMA_RE.test(v)) ? present.map(commaToDot) : null;
    const dotted = withDots !== null && inferKind(name, withDots) === "numeric";
    const kind = dotted ? "numeric" : inferKind(name, present);
    const out: Cell[] = new Array(cells.length);
    if (kind === "numeric") {
      for (let j = 0; j < cells.length; j++) {
        const v = cells[j][c];
        if (v === null) {
          out[j] = null;
          continue;
        }
        if (dotted && DECIMAL_COMMA_RE.test(v)) commaDecimals++;
        const x = parseNumber(dotted ? commaToDot(v) : v);
        out[j] = x;
        if (x === null) {
          const message = `Row ${rowNumbers[j]} (line ${rowLines[j]}), column ${JSON.stringify(name)}: ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)} is not a number, but at least ${Math.round(NUMERIC_SHARE * 100)}% of this column is numeric.`;
          if (opts.invalidNumbers === "missing") issues.warning(`${message} It was left empty.`, { row: rowNumbers[j], line: rowLines[j], column: name });
          else issues.error(`${message} Correct it or leave the cell empty.`, { row: rowNumbers[j], line: rowLines[j], column: name });
        }
      }
    } else {
      for (let j = 0; j < cells.length; j++) out[j] = cells[j][c];
    }
    if (present.length === 0 && cells.length > 0) issues.warning(`Column ${JSON.stringify(fieldLabel(header, c))} has no values.`, { row: 0, column: name });
    columns.push(summarize(name, kind, out));
    typed.push(out);
  });

  if (delimiter !== "," && opts.delimiter === undefined)
    issues.warning(
      `The fields are separated by ${DELIMITER_NAMES[delimiter] ?? JSON.stringify(delimiter)}, not commas; the file was read that way${commaDecimals > 0 ? ", with decimal commas (1,5 read as 1.5)" : ""}.`,
      { row: 0, line: lines[0] },
    );
  if (issues.hasErrors) return { dataset: null, issues: issues.toArray() };

  const rows: Row[] = new Array(cells.length);
  for (let j = 0; j < cells.length; j++) {
    const row: Row = {};
    for (let c = 0; c < header.length; c++) setCell(row, header[c], typed[c][j]);
    rows[j] = row;
  }
  const dataset: Dataset = { source: "csv", columns, rows };
  return { dataset, issues: issues.toArray() };
}
