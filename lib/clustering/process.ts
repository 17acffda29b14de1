import "server-only";
import { loadEncryptedFeatures } from "@/lib/csp/features";
import { db } from "@/lib/db/client";
import { StringList, fromJson } from "@/lib/db/json";
import { appendCspAudit } from "@/lib/ledger/append";
import { BLIND_PARAMS_ID } from "@/lib/hopcm/encrypted/blind/keys";
import { runBlindProtocol } from "./blind";
import type { RunTimes } from "./backend";
import { RunCancelled, RunSuperseded } from "./heartbeat";
import { storeResult } from "./result";
import { httpKeyHolder, runStandardProtocol, type KeyHolderSide } from "./standard";

export { runOptions } from "./backend";

/**
 * Processing one clustering run: HoPCM on the CKKS-encrypted features of one or more uploads
 * (DESIGN.md "Clustering"), at the CSP: this process holds the ciphertexts and evaluation keys;
 * the key holder is the authority's service (issue #12), reached over HTTP — the standard
 * protocol's in ./standard.ts (lib/authority/run-key-holder.ts runs the coordinator there and
 * seals the centers in its own tables), the blind protocol's in ./blind.ts. Only labels and
 * per-cluster typicality aggregates reach the CSP's tables (./result.ts). Runs are started and cancelled in two steps, one
 * per party (the authority: ./start.ts, ./cancel.ts; the CSP: ./csp/start.ts, ./csp/cancel.ts);
 * the worker (./worker.ts) calls this for each job, and ./recover.ts re-queues interrupted runs.
 *
 * Incremental runs (DESIGN.md, Bu et al. 2021): a run may extend a finished base run with new
 * uploads. It reads only the added uploads' ciphertexts; the key holder brings the base run's
 * centers (sealed in its tables) as k extra points weighted by their mass (lib/hopcm
 * `withPrototypes`), and the run starts from them, so cluster identities carry over. The base
 * run's records keep their labels (copied, not recomputed: old data is not re-read); the new
 * run covers the base run's uploads plus the added ones and can itself be extended.
 */

export type ProcessOutcome =
  { status: "SUCCEEDED"; labels: Int32Array; times: RunTimes } | { status: "CANCELLED" | "FAILED"; error?: string } | { status: "SKIPPED"; reason: string };

/**
 * Runs one clustering run to its end, synchronously (the pg-boss handler calls this; tests call
 * it directly). Claims the run (QUEUED -> RUNNING) first, so a duplicate job does nothing.
 */
export async function processRun(runId: string, options: { keyHolder?: (runId: string) => KeyHolderSide } = {}): Promise<ProcessOutcome> {
  const claim = await db().clusteringRun.findUnique({ where: { id: runId }, select: { status: true, attempts: true } });
  if (!claim) return { status: "SKIPPED", reason: "no such run" };
  const attempt = claim.attempts + 1;
  const claimed = await db().clusteringRun.updateMany({
    where: { id: runId, status: "QUEUED", attempts: claim.attempts },
    data: { status: "RUNNING", attempts: attempt, startedAt: new Date(), heartbeatAt: new Date(), iteration: 0, progress: 0, error: null },
  });
  if (claimed.count !== 1) return { status: "SKIPPED", reason: `run is ${claim.status}` };
  const mine = { id: runId, attempts: attempt, status: "RUNNING" as const };
  const run = await db().clusteringRun.findUniqueOrThrow({ where: { id: runId } });

  try {
    const addedIds = fromJson(StringList, run.addedUploadIds, "clustering_runs.added_upload_ids");
    const features = await loadEncryptedFeatures(addedIds);
    const keyId = features[0].keyId;
    if (features.some((f) => f.keyId !== keyId)) throw new Error("the uploads were encrypted under different clustering keys");
    if (features.some((f) => JSON.stringify(f.columns) !== JSON.stringify(run.columns)))
      throw new Error("an upload's feature columns changed since the run was started");
    if (features.some((f) => f.paramsId === BLIND_PARAMS_ID)) {
      // The blind protocol (./blind.ts): the key holder is the authority's service; this process holds no secret key.
      if (features.some((f) => f.paramsId !== BLIND_PARAMS_ID) || run.baseRunId) throw new Error("a blind run clusters blind uploads only, from scratch");
      const blind = await runBlindProtocol(mine, run, features);
      await storeResult(mine, run, {
        offsets: features.map((_, u) => features.slice(0, u).reduce((t, f) => t + f.n, 0)),
        uploadIds: features.map((f) => f.uploadId),
        iterations: blind.iterations,
        converged: true,
        labels: blind.labels,
        typicality: null,
        times: blind.times,
        protocol: "blind",
      });
      return { status: "SUCCEEDED", labels: blind.labels, times: blind.times };
    }
    // The standard protocol: the key holder at the authority runs the coordinator and orders this process's operations.
    const side = (options.keyHolder ?? httpKeyHolder)(run.id);
    const out = await runStandardProtocol(mine, run, features, side);
    await storeResult(mine, run, {
      offsets: features.map((_, u) => features.slice(0, u).reduce((t, f) => t + f.n, 0)),
      uploadIds: features.map((f) => f.uploadId),
      iterations: out.iterations,
      converged: out.converged,
      labels: out.labels,
      typicality: out.typicality,
      times: out.times,
      protocol: "standard",
    });
    return { status: "SUCCEEDED", labels: out.labels, times: out.times };
  } catch (error) {
    if (error instanceof RunSuperseded) return { status: "SKIPPED", reason: "taken over by another worker" };
    const cancelled = error instanceof RunCancelled;
    const reason = cancelled ? null : error instanceof Error ? error.message : String(error);
    if (!cancelled) console.error(`[jobs] clustering run ${runId} failed:`, error);
    await db().$transaction(async (tx) => {
      const changed = await tx.clusteringRun.updateMany({
        where: mine,
        data: { status: cancelled ? "CANCELLED" : "FAILED", error: reason, finishedAt: new Date() },
      });
      if (changed.count !== 1) return;
      await appendCspAudit(tx, {
        actorId: null,
        action: cancelled ? "CLUSTERING_RUN_CANCELLED" : "CLUSTERING_RUN_FAILED",
        subjectType: "clustering_run",
        subjectId: runId,
        data: cancelled ? { phase: "stopped" } : { reason: reason ?? "" },
      });
    });
    return cancelled ? { status: "CANCELLED" } : { status: "FAILED", error: reason ?? undefined };
  }
}
