import { z } from "zod";

/** Helpers for the CSP API's definitions (./wire.ts). */
export const bytes = (max: number) => z.custom<Uint8Array>((v) => v instanceof Uint8Array, "Expected bytes.").refine((b) => b.length <= max, `At most ${max} bytes.`);
export const versions = z.record(z.string().max(120), z.number().int().positive());

export type Spec = { input: z.ZodType; resource: (input: never) => string | null; needs: ReadonlyArray<"org" | "sub"> };
export const spec = <S extends z.ZodType>(input: S, resource: ((input: z.output<S>) => string | null) | null, needs: ReadonlyArray<"org" | "sub"> = []) =>
  ({ input, resource: (resource ?? (() => null)) as (input: never) => string | null, needs }) satisfies Spec;

