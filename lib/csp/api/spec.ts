import { z } from "zod";

/** Helpers for the CSP API's definitions (./wire.ts). */
export const bytes = (max: number) =>
  z.custom<Uint8Array>((v) => v instanceof Uint8Array, "Expected bytes.").refine((b) => b.length <= max, `At most ${max} bytes.`);
export const versions = z.record(z.string().max(120), z.number().int().positive());

/**
 * `plain`: the answer is plain JSON (strings, numbers, no bytes or dates), which the portal
 * streams on to the browser without reading it (lib/parties/csp-client.ts `cspPassThrough`).
 * `body`: the largest call body this operation takes, when it is not BODY_LIMITS.cspCall (the
 * CSP's gateway enforces the same figure: lib/gateway/limits.ts `bodyLimit`).
 */
export type Spec = { input: z.ZodType; resource: (input: never) => string | null; needs: ReadonlyArray<"org" | "sub">; plain?: boolean; body?: number };
export const spec = <S extends z.ZodType, P extends boolean = false>(
  input: S,
  resource: ((input: z.output<S>) => string | null) | null,
  needs: ReadonlyArray<"org" | "sub"> = [],
  options: { plain?: P; body?: number } = {},
) =>
  ({
    input,
    resource: (resource ?? (() => null)) as (input: never) => string | null,
    needs,
    plain: (options.plain ?? false) as P,
    body: options.body,
  }) satisfies Spec;
