/**
 * The shapes of the Json columns, checked where they are read (the database gives `JsonValue`;
 * a cast would let a malformed row travel on as the wrong type). One schema per shape; the
 * column's name goes into the error, which is an internal error: these are written only by
 * this code.
 */
import { z } from "zod";

/** Attribute -> key version (uploads.key_versions, signature_versions, transform_keys.key_versions). */
export const KeyVersions = z.record(z.string(), z.number().int().positive());
/** Ids or names in order (clustering_runs.upload_ids, columns; upload_features.columns; missing attributes). */
export const StringList = z.array(z.string());
/** Record indexes within an upload (access_request_uploads.record_indices). */
export const IndexList = z.array(z.number().int().nonnegative());
/** Numbers in order (objective trace, cluster sizes, CKKS rotation steps). */
export const NumberList = z.array(z.number());

export type KeyVersions = z.infer<typeof KeyVersions>;

/** `value` read from `column`, checked against `schema`. */
export function fromJson<T>(schema: z.ZodType<T>, value: unknown, column: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`The stored ${column} does not have the expected shape.`);
  return parsed.data;
}

/** As fromJson, with SQL NULL (or a missing row) read as null. */
export function fromJsonOrNull<T>(schema: z.ZodType<T>, value: unknown, column: string): T | null {
  return value === null || value === undefined ? null : fromJson(schema, value, column);
}
