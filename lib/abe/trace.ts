/**
 * Instrumentation for tests of the constant-time discipline (issue #11 item 12): when a hook is
 * set, the secret-exponent ladder and comb report every step they take ("sqr", "mul", "scan:<entries>"),
 * and the variable-time entries (public exponents only) report that they ran. Null in
 * production; a test sets it, runs one operation, and clears it.
 */
export type ExponentOp = { path: "secret"; step: string } | { path: "public"; op: string; k: bigint };

export const exponentTrace: { hook: ((op: ExponentOp) => void) | null } = { hook: null };

/** Called by the variable-time entries (lib/abe/group.ts) with their public exponent. */
export function notePublic(op: string, k: bigint): void {
  exponentTrace.hook?.({ path: "public", op, k });
}
