import { z } from "zod";
import { RUN_LIMITS, runNameSchema, runNoteSchema } from "@/lib/validation/clustering";
import { spec } from "./spec";

/**
 * The CSP's API for clustering runs (lib/clustering/csp/); merged into ./wire.ts. Reads are
 * the admin's and researchers' views (the portal checks roles); starting and cancelling name the
 * run (the authority chose its id and sealed its seed first) and the person acting.
 */
const id = z.uuid();
const byRun = (i: { runId: string }) => i.runId;
const none = z.object({});

export const clusteringApi = {
  "runs.list": spec(none, null),
  "runs.get": spec(z.object({ runId: id }), byRun),
  "runs.detail": spec(z.object({ runId: id }), byRun),
  "runs.finished": spec(none, null),
  "runs.clusters": spec(none, null),
  "runs.members": spec(z.object({ runId: id, cluster: z.number() }), byRun),
  "runs.clusterable": spec(none, null),
  "runs.start": spec(
    z.object({
      runId: id,
      uploadIds: z.array(id).min(1).max(RUN_LIMITS.maxUploads),
      k: z.number().int(),
      baseRunId: id.nullable(),
      keyId: id.nullable(),
      /** The key holder's blind-protocol key (null or absent: none yet). */
      blindKeyId: id.nullable().optional(),
      enqueue: z.boolean(),
      name: runNameSchema.optional(),
      note: runNoteSchema.optional(),
    }),
    byRun,
    ["sub"],
  ),
  "runs.cancel": spec(z.object({ runId: id }), byRun, ["sub"]),
  /** The admin's name and note for a run; deleting a run that no longer runs. */
  "runs.describe": spec(z.object({ runId: id, name: runNameSchema, note: runNoteSchema }), byRun, ["sub"]),
  "runs.delete": spec(z.object({ runId: id }), byRun, ["sub"]),
} as const;
