import type { z } from "zod";

/** A page's `searchParams` as Next.js hands them over. */
export type RawSearchParams = Record<string, string | string[] | undefined>;

/**
 * A page's query checked like any input: the first value of each parameter, trimmed (empty is
 * absent), parsed by `schema`. A bad query gives the schema's defaults and the problem in words,
 * for the page to say, never a 500.
 */
export function readSearchParams<S extends z.ZodType>(schema: S, raw: RawSearchParams): { query: z.output<S>; problem: string | null } {
  const flat = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, (Array.isArray(v) ? v[0] : v)?.trim() || undefined]));
  const parsed = schema.safeParse(flat);
  if (parsed.success) return { query: parsed.data, problem: null };
  return { query: schema.parse({}), problem: parsed.error.issues.map((i) => i.message).join(" ") };
}
