import { z } from "zod";
import { spec } from "./spec";

/** The CSP's API for access requests (lib/csp/requests.ts); merged into ./wire.ts. */
export const requestsApi = {
  // "requests.create": spec(z.object({ ... }), (i) => ..., ["org", "sub"]),
} as const;
void z;
void spec;
