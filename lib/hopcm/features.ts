/**
 * Records -> feature tensors. Numeric columns are z-scored (mean and population std kept in
 * the schema), categorical columns one-hot encoded (category list kept), missing values
 * imputed (numeric: the column mean, i.e. 0 after z-scoring; categorical: a "(missing)"
 * category) and counted. The schema is plain JSON, so the same transform applies to later
 * chunks, in the browser or on a server.
 */

export type RawValue = string | number | null | undefined;
export type RawRecord = Record<string, RawValue>;

export const MISSING_CATEGORY = "(missing)";

export interface NumericColumn {
  kind: "numeric";
  name: string;
  /** Index of this column's value in the feature vector. */
  offset: number;
  mean: number;
  /** Population standard deviation (1 for a constant column). */
  std: number;
}

export interface CategoricalColumn {
  kind: "categorical";
  name: string;
  /** Index of the first one-hot slot; the column uses categories.length slots. */
  offset: number;
  categories: string[];
}

export type FeatureColumn = NumericColumn | CategoricalColumn;

export interface FeatureSchema {
  version: 1;
  columns: FeatureColumn[];
  /** Feature vector length. */
  p: number;
  /** Tensor shape of one record's features (product = p); [p] unless given. */
  shape: number[];
  label: string | null;
  excluded: string[];
}

export interface FeatureReport {
  n: number;
  /** Missing values per input column (label included), only columns with any. */
  missing: Record<string, number>;
  /** Values of categorical columns not in the schema's category list (encoded as all zeros). */
  unseen: Record<string, number>;
  /** Numeric columns with zero variance at fit time (they encode as 0). */
  constant: string[];
}

export interface FeatureMatrix {
  /** Row-major n x p. */
  X: Float64Array;
  n: number;
  p: number;
  schema: FeatureSchema;
  report: FeatureReport;
  /** Label column values (null where missing), when the schema has a label. */
  labels: (string | null)[] | null;
}

export class FeatureError extends Error {
  constructor(
    message: string,
    /** The column at fault, when there is one. */
    readonly column?: string,
  ) {
    super(message);
    this.name = "FeatureError";
  }
}

export interface FitFeatureOptions {
  /** Column holding the ground-truth label: kept out of the features, returned apart. */
  label?: string;
  /** Columns to drop (e.g. ids). */
  exclude?: string[];
  /** Force these columns to be one-hot encoded. */
  categorical?: string[];
  /**
   * Fail on a column with non-numeric values unless listed in `categorical` (the CLI's mode).
   * Default false: such columns become categorical.
   */
  strictNumeric?: boolean;
  /** Tensor shape of the feature vector (product must equal p). */
  shape?: number[];
}

const MISSING_TOKENS = new Set(["", "na", "n/a", "nan", "null", "none", "?"]);
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function isMissing(v: RawValue): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === "number") return !Number.isFinite(v);
  return MISSING_TOKENS.has(v.trim().toLowerCase());
}

/** The number in a non-missing value, or NaN if it is not numeric. */
export function parseNumber(v: RawValue): number {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return NaN;
  const s = v.trim();
  return NUMBER_RE.test(s) ? Number(s) : NaN;
}

/** Column names in order of first appearance. */
function columnNames(records: RawRecord[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of records)
    for (const key of Object.keys(r)) {
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(key);
    }
  return out;
}

/** Learns a schema from records and encodes them. */
export function fitFeatures(records: RawRecord[], options: FitFeatureOptions = {}): FeatureMatrix {
  if (records.length === 0) throw new FeatureError("no records to fit features on");
  const names = columnNames(records);
  const known = new Set(names);
  const label = options.label ?? null;
  const excluded = options.exclude ?? [];
  const forced = new Set(options.categorical ?? []);
  for (const c of [...(label === null ? [] : [label]), ...excluded, ...forced])
    if (!known.has(c)) throw new FeatureError(`unknown column ${JSON.stringify(c)}; columns are: ${names.join(", ")}`, c);

  const columns: FeatureColumn[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === label || excluded.includes(name)) continue;
    let firstBad: { row: number; value: string } | null = null;
    let sum = 0;
    let count = 0;
    for (let j = 0; j < records.length && !forced.has(name); j++) {
      const v = records[j][name];
      if (isMissing(v)) continue;
      const x = parseNumber(v);
      if (Number.isNaN(x)) {
        firstBad = { row: j, value: String(v) };
        break;
      }
      sum += x;
      count++;
    }
    if (forced.has(name) || firstBad) {
      if (firstBad && options.strictNumeric)
        throw new FeatureError(
          `column ${JSON.stringify(name)} is not numeric: data row ${firstBad.row + 1} has ${JSON.stringify(firstBad.value)} ` +
            `(exclude the column, or declare it categorical or the label)`,
          name,
        );
      const cats = new Set<string>();
      let missing = false;
      for (const r of records) {
        if (isMissing(r[name])) missing = true;
        else cats.add(String(r[name]).trim());
      }
      const categories = [...cats].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      if (missing) categories.push(MISSING_CATEGORY);
      columns.push({ kind: "categorical", name, offset, categories });
      offset += categories.length;
      continue;
    }
    const mean = count > 0 ? sum / count : 0;
    let ss = 0;
    for (const r of records) {
      const v = r[name];
      if (isMissing(v)) continue;
      const d = parseNumber(v) - mean;
      ss += d * d;
    }
    const std = count > 0 ? Math.sqrt(ss / count) : 0;
    columns.push({ kind: "numeric", name, offset, mean, std: std > 0 ? std : 1 });
    offset++;
  }
  if (offset === 0) throw new FeatureError("no feature columns left after removing the label and excluded columns");
  const shape = options.shape ?? [offset];
  if (shape.reduce((a, b) => a * b, 1) !== offset) throw new FeatureError(`shape [${shape.join(", ")}] does not hold ${offset} features`);
  const schema: FeatureSchema = { version: 1, columns, p: offset, shape, label, excluded: [...excluded] };
  const encoded = applyFeatures(schema, records);
  // Constant columns are known only at fit time (std was replaced by 1).
  for (const c of columns) if (c.kind === "numeric" && isConstant(records, c.name)) encoded.report.constant.push(c.name);
  return encoded;
}

function isConstant(records: RawRecord[], name: string): boolean {
  let first: number | null = null;
  for (const r of records) {
    if (isMissing(r[name])) continue;
    const x = parseNumber(r[name]);
    if (first === null) first = x;
    else if (x !== first) return false;
  }
  return true;
}

/** Encodes records with an existing schema (e.g. a later chunk). */
export function applyFeatures(schema: FeatureSchema, records: RawRecord[]): FeatureMatrix {
  const n = records.length;
  const { p } = schema;
  const X = new Float64Array(n * p);
  const report: FeatureReport = { n, missing: {}, unseen: {}, constant: [] };
  const bump = (m: Record<string, number>, key: string) => (m[key] = (m[key] ?? 0) + 1);
  const indexes = schema.columns.map((c) => (c.kind === "categorical" ? new Map(c.categories.map((v, i) => [v, i])) : null));
  for (let j = 0; j < n; j++) {
    const r = records[j];
    const row = j * p;
    for (let ci = 0; ci < schema.columns.length; ci++) {
      const c = schema.columns[ci];
      const v = r[c.name];
      if (c.kind === "numeric") {
        if (isMissing(v)) {
          bump(report.missing, c.name); // imputed with the mean: z = 0
          continue;
        }
        const x = parseNumber(v);
        if (Number.isNaN(x))
          throw new FeatureError(`column ${JSON.stringify(c.name)} is numeric but data row ${j + 1} has ${JSON.stringify(String(v))}`, c.name);
        X[row + c.offset] = (x - c.mean) / c.std;
      } else {
        const missing = isMissing(v);
        if (missing) bump(report.missing, c.name);
        const slot = indexes[ci]!.get(missing ? MISSING_CATEGORY : String(v).trim());
        if (slot === undefined) bump(report.unseen, c.name);
        else X[row + c.offset + slot] = 1;
      }
    }
  }
  let labels: (string | null)[] | null = null;
  if (schema.label !== null) {
    const name = schema.label;
    labels = records.map((r) => {
      const v = r[name];
      if (isMissing(v)) {
        bump(report.missing, name);
        return null;
      }
      return String(v).trim();
    });
  }
  return { X, n, p, schema, report, labels };
}

/** Feature names in vector order (one-hot slots as `column=value`). */
export function featureNames(schema: FeatureSchema): string[] {
  const out: string[] = [];
  for (const c of schema.columns) {
    if (c.kind === "numeric") out.push(c.name);
    else for (const v of c.categories) out.push(`${c.name}=${v}`);
  }
  return out;
}

/** Maps a z-scored feature vector back to original units (one-hot slots stay as weights). */
export function unscale(schema: FeatureSchema, v: ArrayLike<number>): number[] {
  const out = Array.from(v);
  for (const c of schema.columns) if (c.kind === "numeric") out[c.offset] = v[c.offset] * c.std + c.mean;
  return out;
}
