/** Column kinds (numeric, categorical, date, identifier, text) from a column's name and values, and column summaries. */
import type { Cell, ColumnInfo, ColumnKind } from "./dataset";
import { parseDate, parseNumber } from "./values";

const LEADING_ZERO_INT_RE = /^0\d+$/;

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
