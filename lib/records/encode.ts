/**
 * Records as bytes for encryption: canonical JSON (keys in column order, no whitespace,
 * JSON.stringify escaping, missing -> null), UTF-8. The same row and columns always give the
 * same bytes, in the browser and in Node.
 */
import { setCell, type Cell, type ColumnInfo, type Dataset, type Row } from "./dataset";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const nameOf = (c: string | ColumnInfo) => (typeof c === "string" ? c : c.name);

/** Canonical JSON text of one row. */
export function recordJson(row: Row, columns: readonly (string | ColumnInfo)[]): string {
  const parts: string[] = [];
  for (const c of columns) {
    const name = nameOf(c);
    const v = row[name] ?? null;
    if (typeof v === "number" && !Number.isFinite(v)) throw new RangeError(`column ${JSON.stringify(name)}: ${v} cannot be encoded`);
    if (v !== null && typeof v !== "number" && typeof v !== "string") throw new TypeError(`column ${JSON.stringify(name)}: unsupported value type ${typeof v}`);
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(v)}`);
  }
  return `{${parts.join(",")}}`;
}

/** UTF-8 bytes of the canonical JSON of one row. */
export function recordBytes(row: Row, columns: readonly (string | ColumnInfo)[]): Uint8Array {
  return encoder.encode(recordJson(row, columns));
}

/** Inverse of recordBytes: strict UTF-8, a JSON object of strings, numbers and nulls. */
export function recordFromBytes(bytes: Uint8Array): Row {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new SyntaxError(`not a record: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new SyntaxError("not a record: expected a JSON object");
  const row: Row = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (v !== null && typeof v !== "string" && typeof v !== "number") throw new SyntaxError(`not a record: column ${JSON.stringify(k)} holds a ${typeof v}`);
    setCell(row, k, v as Cell);
  }
  return row;
}

/** Stable id of the index-th record of an upload batch: "<batchId>:<index>". */
export function recordId(index: number, batchId: string): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`record index must be a non-negative integer, got ${index}`);
  if (batchId === "" || /[\s:]/.test(batchId)) throw new RangeError(`batch id must be non-empty without spaces or ":", got ${JSON.stringify(batchId)}`);
  return `${batchId}:${index}`;
}

/** Numeric columns with at least one value, except those named in `exclude` (e.g. a label). */
export function numericFeatureColumns(dataset: Dataset, exclude: readonly string[] = []): string[] {
  const skip = new Set(exclude);
  return dataset.columns.filter((c) => c.kind === "numeric" && c.missing < dataset.rows.length && !skip.has(c.name)).map((c) => c.name);
}
