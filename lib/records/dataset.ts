/**
 * The table every import produces and every later step (PHI check, de-identification,
 * encoding, features) consumes. Its neighbours: issues.ts (limits and the problems an import
 * reports), values.ts (numbers and dates in cells), columns.ts (column kinds from names and
 * values). Pure and isomorphic: runs in the browser, a Web Worker and Node.
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

/**
 * Sets a row's cell as an own property, whatever the column is called: a plain assignment to
 * a column named "__proto__" (a header anyone can write) would set the row's prototype and lose
 * the value.
 */
export function setCell(row: Row, column: string, value: Cell): void {
  Object.defineProperty(row, column, { value, writable: true, enumerable: true, configurable: true });
}

export const columnValues = (dataset: Dataset, column: string): Cell[] => dataset.rows.map((r) => r[column] ?? null);

export * from "./issues";
export * from "./values";
export * from "./columns";
