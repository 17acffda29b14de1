import "server-only";
import { randomUUID } from "node:crypto";
import { activeBlindKeyId } from "@/lib/authority/blind-key-holder";
import { activeCkksKeyId } from "@/lib/authority/ckks";
import { createRunSeed } from "@/lib/authority/run-seed";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";
import { cspCall } from "@/lib/parties/csp-client";
import { checkRunStart } from "@/lib/validation/clustering";

export type StartRunInput = {
  /** Uploads to cluster (a full run) or to add (an extension). */
  uploadIds: string[];
  /** Clusters; an extension keeps the base run's k (omit it, or give the same). */
  k?: number;
  /** Extend this finished run with the uploads instead of clustering them from scratch. */
  baseRunId?: string;
  /** The admin's name and note for the run. */
  name?: string;
  note?: string;
};

/**
 * Starts a clustering run, in two steps, one per party. The authority checks what it can (k,
 * a base run it can extend: it holds the base's centers' mass), chooses the run's id and, in
 * one transaction, seals the run's secret k-means++ seed (lib/authority/run-seed.ts) with its
 * audit entry CLUSTERING_RUN_STARTED. Then the CSP (`runs.start`, scoped to that id) checks
 * the stored features, creates the run row with its own log entry and queues the job. The seed
 * is committed before the run exists, so the worker always finds it. If the CSP refuses, the
 * seed is removed again and the refusal logged; if the CSP cannot be reached (it may or may not
 * have made the run), the seed stays: sealed and bound to an id no other run can take.
 */
export async function startClusteringRun(adminId: string, input: StartRunInput, options: { enqueue?: boolean } = {}) {
  const base = input.baseRunId ? await cspCall("runs.get", { runId: input.baseRunId }) : null;
  const hasMass = base ? Boolean((await db().runSecret.findUnique({ where: { runId: base.id }, select: { sealedMass: true } }))?.sealedMass) : undefined;
  const { added, k } = checkRunStart(input, base, hasMass);
  const keyId = await activeCkksKeyId();
  const blindKeyId = await activeBlindKeyId();
  const runId = randomUUID();
  await db().$transaction(async (tx) => {
    await createRunSeed(tx, runId);
    await appendAudit(tx, {
      actorId: adminId,
      action: "CLUSTERING_RUN_STARTED",
      subjectType: "clustering_run",
      subjectId: runId,
      data: base ? { k, base: base.id, uploads: added } : { k, uploads: added },
    });
  });
  try {
    return await cspCall(
      "runs.start",
      {
        runId,
        uploadIds: added,
        k,
        baseRunId: base?.id ?? null,
        keyId,
        blindKeyId,
        enqueue: options.enqueue !== false,
        name: input.name ?? "",
        note: input.note ?? "",
      },
      { sub: adminId },
    );
  } catch (error) {
    if (error instanceof AppError && error.code !== "UNAVAILABLE")
      await db().$transaction(async (tx) => {
        await tx.runSeed.deleteMany({ where: { runId } });
        await appendAudit(tx, {
          actorId: adminId,
          action: "CLUSTERING_RUN_REFUSED",
          subjectType: "clustering_run",
          subjectId: runId,
          data: { code: error.code, reason: error.message },
        });
      });
    throw error;
  }
}
