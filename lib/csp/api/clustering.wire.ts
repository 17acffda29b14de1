import { z } from "zod";
import { spec } from "./spec";

/** The CSP's API for clustering runs (lib/jobs/clustering.ts, lib/portal/clustering.ts reads); merged into ./wire.ts. */
export const clusteringApi = {
  // "runs.start": spec(z.object({ ... }), (i) => i.runId, ["sub"]),
} as const;
void z;
void spec;
