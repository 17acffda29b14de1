import type { ActionResult } from "@/lib/errors";

/** What a form says when its action got no answer from MedShare. */
export const UNREACHABLE =
  "MedShare did not answer (the connection failed or the server was restarting). Reload the page to see whether it was done, then try again.";

/**
 * A server action as a form calls it: an answer that never came (the network, a gateway's 503,
 * a restart) becomes an `UNAVAILABLE` result the form shows like any other error, instead of a
 * rejected promise that left the form busy for good ("Starting…" on CI, 2026-12-07).
 */
export function reach<I, R>(action: (input: I) => Promise<ActionResult<R>>): (input: I) => Promise<ActionResult<R>> {
  return async (input) => {
    try {
      return await action(input);
    } catch {
      return { ok: false, error: { code: "UNAVAILABLE", message: UNREACHABLE } };
    }
  };
}
