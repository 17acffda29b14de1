import "server-only";
import { ckksPublicKeys, ckksPublicKeysById, keyHolderFor } from "@/lib/authority/ckks";
import { storeRunSecrets } from "@/lib/authority/clustering";
import { nodeCkks } from "@/lib/ckks/node";
import { loadEncryptedFeatures, storedFeatureShapes } from "@/lib/csp/features";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { clusterSizes, HOPCM_DEFAULTS, runHopcmAsync, type HopcmOptions, type HopcmResult } from "@/lib/hopcm";
import { createCspEvaluator, cspEvalKeys, cspPrepare, disposeDataset, type CspDataset, type CspEvaluator, type KeyHolder } from "@/lib/hopcm/encrypted";
import { appendAudit } from "@/lib/ledger/append";
import { fcmObjective, multiUploadBackend, type RunTimes } from "./backend";
import { enqueueRun, hasLiveJob } from "./queue";

/**
 * Clustering runs: HoPCM on the CKKS-encrypted features of one or more uploads (DESIGN.md
 * "Clustering"). The job runs the CSP (evaluation keys, ciphertexts) and the key holder (the
 * authority's secret key, unsealed for the run) in this process, each through its own module;
 * only labels and rounded typicalities reach the CSP's tables, centers and distances are sealed
 * in the authority's.
 *
 * Restart policy (recoverRuns): a run is never lost silently. A QUEUED run without a live
 * pg-boss job gets a new job. A RUNNING run whose heartbeat (touched every iteration) is older
 * than STALE_MS lost its worker: it is re-queued from the start (runs are deterministic and
 * write their results in one transaction at the end, so nothing half-done remains), up to
 * MAX_ATTEMPTS, then FAILED "interrupted by a restart". A cancelled-while-interrupted run
 * becomes CANCELLED. Every worker claims a run by bumping `attempts`; a worker whose attempt
 * is no longer current (the run was taken over) stops without writing anything.
 */
export const RUN_LIMITS = { minK: 2, maxK: 12, maxUploads: 100, minRecordsPerUpload: 10 } as const;
export const STALE_MS = 120_000;
export const MAX_ATTEMPTS = 3;
/** Typicalities stored at the CSP are rounded: full-precision CKKS decryptions must not reach the party holding the ciphertexts. */
const TYPICALITY_DIGITS = 1e4;
const RESULT_TX = { timeout: 120_000, maxWait: 10_000 } as const;

/** HoPCM options of a run (the plaintext reference with the same options gives the same labels). */
export const runOptions = (k: number): HopcmOptions => ({ k });

export async function startClusteringRun(adminId: string, input: { uploadIds: string[]; k: number }, options: { enqueue?: boolean } = {}) {
  const uploadIds = [...new Set(input.uploadIds)];
  const { k } = input;
  if (uploadIds.length === 0 || uploadIds.length > RUN_LIMITS.maxUploads) throw new AppError("VALIDATION", `Choose 1 to ${RUN_LIMITS.maxUploads} uploads.`);
  if (!Number.isInteger(k) || k < RUN_LIMITS.minK || k > RUN_LIMITS.maxK) throw new AppError("VALIDATION", `k must be ${RUN_LIMITS.minK} to ${RUN_LIMITS.maxK}.`);
  const shapes = await storedFeatureShapes(uploadIds);
  const missing = uploadIds.filter((id) => !shapes.some((s) => s.uploadId === id));
  if (missing.length) throw new AppError("VALIDATION", `No stored encrypted features for upload${missing.length > 1 ? "s" : ""} ${missing.join(", ")}.`);
  const ordered = uploadIds.map((id) => shapes.find((s) => s.uploadId === id)!);
  const first = ordered[0];
  if (ordered.some((s) => s.p !== first.p || JSON.stringify(s.columns) !== JSON.stringify(first.columns)))
    throw new AppError("VALIDATION", "The uploads have different feature columns; cluster uploads with the same features together.");
  const active = await ckksPublicKeys();
  if (ordered.some((s) => s.ckksKeyId !== active.keyId)) throw new AppError("VALIDATION", "An upload's features were encrypted under an older clustering key.");
  if (ordered.length > 1 && ordered.some((s) => s.n < RUN_LIMITS.minRecordsPerUpload))
    throw new AppError("VALIDATION", `Each upload of a multi-upload run needs at least ${RUN_LIMITS.minRecordsPerUpload} records.`);
  const n = ordered.reduce((t, s) => t + s.n, 0);
  if (k > n) throw new AppError("VALIDATION", `k = ${k} exceeds the ${n} records.`);
  const run = await db().$transaction(async (tx) => {
    const created = await tx.clusteringRun.create({ data: { k, uploadIds, n, p: first.p, createdById: adminId }, select: { id: true } });
    await appendAudit(tx, { actorId: adminId, action: "CLUSTERING_RUN_STARTED", subjectType: "clustering_run", subjectId: created.id, data: { k, uploads: uploadIds, n, p: first.p } });
    return created;
  });
  if (options.enqueue !== false) {
    // The run row is committed first; if the queue is unreachable now, recoverRuns() sends the job later.
    await enqueueRun(run.id).catch((error) => console.error(`[jobs] could not enqueue run ${run.id}:`, error));
  }
  return { runId: run.id, n, p: first.p };
}

/** Cancels a queued run at once; a running one stops at its next iteration (status CANCELLED). */
export async function cancelRun(adminId: string, runId: string) {
  return db().$transaction(async (tx) => {
    const run = await tx.clusteringRun.findUnique({ where: { id: runId }, select: { status: true, cancelRequested: true, iteration: true } });
    if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
    if (run.status === "QUEUED") {
      await tx.clusteringRun.update({ where: { id: runId }, data: { status: "CANCELLED", cancelRequested: true, finishedAt: new Date() } });
      await appendAudit(tx, { actorId: adminId, action: "CLUSTERING_RUN_CANCELLED", subjectType: "clustering_run", subjectId: runId, data: { phase: "queued" } });
      return { status: "CANCELLED" as const };
    }
    if (run.status !== "RUNNING") throw new AppError("INVALID_STATE", "Only a queued or running run can be cancelled.");
    if (!run.cancelRequested) {
      await tx.clusteringRun.update({ where: { id: runId }, data: { cancelRequested: true } });
      await appendAudit(tx, { actorId: adminId, action: "CLUSTERING_RUN_CANCELLED", subjectType: "clustering_run", subjectId: runId, data: { phase: "requested", iteration: run.iteration } });
    }
    return { status: "CANCELLING" as const };
  });
}

class RunCancelled extends Error {}
class RunSuperseded extends Error {}

export type ProcessOutcome =
  | { status: "SUCCEEDED"; result: HopcmResult; times: RunTimes }
  | { status: "CANCELLED" | "FAILED"; error?: string }
  | { status: "SKIPPED"; reason: string };

/**
 * Runs one clustering run to its end, synchronously (the pg-boss handler calls this; tests call
 * it directly). Claims the run (QUEUED -> RUNNING) first, so a duplicate job does nothing.
 */
export async function processRun(runId: string): Promise<ProcessOutcome> {
  const claim = await db().clusteringRun.findUnique({ where: { id: runId }, select: { status: true, attempts: true } });
  if (!claim) return { status: "SKIPPED", reason: "no such run" };
  const attempt = claim.attempts + 1;
  const claimed = await db().clusteringRun.updateMany({
    where: { id: runId, status: "QUEUED", attempts: claim.attempts },
    data: { status: "RUNNING", attempts: attempt, startedAt: new Date(), heartbeatAt: new Date(), iteration: 0, progress: 0, objective: [], error: null },
  });
  if (claimed.count !== 1) return { status: "SKIPPED", reason: `run is ${claim.status}` };
  const mine = { id: runId, attempts: attempt, status: "RUNNING" as const };
  const run = await db().clusteringRun.findUniqueOrThrow({ where: { id: runId } });

  let keyHolder: KeyHolder | null = null;
  let csp: CspEvaluator | null = null;
  const datasets: CspDataset[] = [];
  try {
    const uploadIds = run.uploadIds as string[];
    const features = await loadEncryptedFeatures(uploadIds);
    const keyId = features[0].keyId;
    if (features.some((f) => f.keyId !== keyId)) throw new Error("the uploads were encrypted under different clustering keys");
    const ckks = await nodeCkks();
    // Authority side: the key holder (secret key unsealed for this run only).
    keyHolder = (await keyHolderFor(keyId)).keyHolder;
    // CSP side: evaluation keys only (public material the authority publishes).
    csp = createCspEvaluator(ckks, cspEvalKeys((await ckksPublicKeysById(keyId)).publicKeys));
    for (const f of features) datasets.push(cspPrepare(csp, f));
    await beat(mine, {});

    const objective: number[] = [];
    let lastD2: Float64Array = new Float64Array(0);
    let prevCenters: Float64Array | null = null;
    let progress = 0;
    const eps = HOPCM_DEFAULTS.eps;
    const backend = multiUploadBackend(
      { ckks, keyHolder, csp, datasets },
      {
        afterDistances: async ({ centers, k, d2, weightedSums }) => {
          lastD2 = d2;
          if (weightedSums === 0) return; // seeding
          objective[weightedSums - 1] = fcmObjective(d2, k, run.n);
          if (prevCenters && prevCenters.length === centers.length) {
            // Progress: how far the center shift has come down towards the stopping tolerance (log scale).
            let shift = 0;
            for (let i = 0; i < centers.length; i++) shift = Math.max(shift, Math.abs(centers[i] - prevCenters[i]));
            const done = Math.log10(1 / Math.max(shift, eps)) / Math.log10(1 / eps);
            progress = Math.min(0.99, Math.max(progress, done));
          }
          prevCenters = Float64Array.from(centers);
          const row = await beat(mine, {
            iteration: weightedSums,
            progress,
            objective: objective.map((J) => Number(J.toPrecision(8))),
            cspMs: backend.times.csp,
            keyHolderMs: backend.times.keyHolder,
          });
          if (row.cancelRequested) throw new RunCancelled();
        },
      },
    );
    const result = await runHopcmAsync(backend, runOptions(run.k));
    await storeResult(mine, run, backend.offsets, result, lastD2, backend.times, features.map((f) => f.uploadId));
    return { status: "SUCCEEDED", result, times: { ...backend.times } };
  } catch (error) {
    if (error instanceof RunSuperseded) return { status: "SKIPPED", reason: "taken over by another worker" };
    const cancelled = error instanceof RunCancelled;
    const reason = cancelled ? null : error instanceof Error ? error.message : String(error);
    if (!cancelled) console.error(`[jobs] clustering run ${runId} failed:`, error);
    await db().$transaction(async (tx) => {
      const changed = await tx.clusteringRun.updateMany({ where: mine, data: { status: cancelled ? "CANCELLED" : "FAILED", error: reason, finishedAt: new Date() } });
      if (changed.count !== 1) return;
      await appendAudit(tx, {
        actorId: null,
        action: cancelled ? "CLUSTERING_RUN_CANCELLED" : "CLUSTERING_RUN_FAILED",
        subjectType: "clustering_run",
        subjectId: runId,
        data: cancelled ? { phase: "stopped" } : { reason: reason ?? "" },
      });
    });
    return cancelled ? { status: "CANCELLED" } : { status: "FAILED", error: reason ?? undefined };
  } finally {
    for (const d of datasets) disposeDataset(d);
    if (csp) {
      for (const m of csp.masks.values()) for (const pt of [...m.top, ...m.mid]) pt.delete();
      csp.relinKeys.delete();
      csp.galoisKeys.delete();
    }
    keyHolder?.dispose();
  }
}

type Mine = { id: string; attempts: number; status: "RUNNING" };

/** Progress update + heartbeat; also tells the worker whether the run was cancelled or taken over. */
async function beat(mine: Mine, data: { iteration?: number; progress?: number; objective?: number[]; cspMs?: number; keyHolderMs?: number }) {
  const changed = await db().clusteringRun.updateMany({ where: mine, data: { ...data, heartbeatAt: new Date() } });
  if (changed.count !== 1) throw new RunSuperseded();
  return db().clusteringRun.findUniqueOrThrow({ where: { id: mine.id }, select: { cancelRequested: true } });
}

async function storeResult(
  mine: Mine,
  run: { id: string; k: number; n: number; p: number },
  offsets: number[],
  result: HopcmResult,
  d2: Float64Array,
  times: RunTimes,
  uploadIds: string[],
) {
  const { k, n, p, labels, typicality } = result;
  const sizes = clusterSizes(labels, k);
  const rows: Array<{ runId: string; uploadId: string; recordIndex: number; label: number; typicality: number[] }> = [];
  for (let u = 0; u < uploadIds.length; u++) {
    const end = u + 1 < offsets.length ? offsets[u + 1] : n;
    for (let j = offsets[u]; j < end; j++)
      rows.push({
        runId: run.id,
        uploadId: uploadIds[u],
        recordIndex: j - offsets[u],
        label: labels[j],
        typicality: Array.from({ length: k }, (_, i) => Math.round(typicality[i * n + j] * TYPICALITY_DIGITS) / TYPICALITY_DIGITS),
      });
  }
  await db().$transaction(async (tx) => {
    const changed = await tx.clusteringRun.updateMany({
      where: mine,
      data: {
        status: "SUCCEEDED",
        finishedAt: new Date(),
        progress: 1,
        iteration: result.iterations,
        clusterSizes: sizes,
        cspMs: times.csp,
        keyHolderMs: times.keyHolder,
      },
    });
    if (changed.count !== 1) throw new RunSuperseded();
    for (let i = 0; i < rows.length; i += 5000) await tx.runLabel.createMany({ data: rows.slice(i, i + 5000) });
    await storeRunSecrets(tx, run.id, { k, n, p, centers: result.centers, distances: d2 });
    await appendAudit(tx, {
      actorId: null,
      action: "CLUSTERING_RUN_COMPLETED",
      subjectType: "clustering_run",
      subjectId: run.id,
      data: { k, n, iterations: result.iterations, sizes, converged: result.converged, cspMs: Math.round(times.csp), keyHolderMs: Math.round(times.keyHolder) },
    });
  }, RESULT_TX);
}

/** See the restart policy at the top of this file. Returns what it did, for logs and tests. */
export async function recoverRuns(options: { staleMs?: number; now?: Date } = {}) {
  const staleMs = options.staleMs ?? STALE_MS;
  const now = options.now ?? new Date();
  const report = { resent: [] as string[], requeued: [] as string[], failed: [] as string[], cancelled: [] as string[] };
  for (const run of await db().clusteringRun.findMany({ where: { status: "QUEUED" }, select: { id: true } })) {
    if (await hasLiveJob(run.id)) continue;
    await enqueueRun(run.id);
    report.resent.push(run.id);
  }
  const stale = await db().clusteringRun.findMany({
    where: { status: "RUNNING", OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: new Date(now.getTime() - staleMs) } }] },
    select: { id: true, attempts: true, cancelRequested: true },
  });
  for (const run of stale) {
    const next = run.cancelRequested ? "CANCELLED" : run.attempts >= MAX_ATTEMPTS ? "FAILED" : "QUEUED";
    const done = await db().$transaction(async (tx) => {
      const changed = await tx.clusteringRun.updateMany({
        where: { id: run.id, status: "RUNNING", attempts: run.attempts },
        data:
          next === "QUEUED"
            ? { status: "QUEUED", heartbeatAt: null, iteration: 0, progress: 0, objective: [] }
            : { status: next, finishedAt: now, error: next === "FAILED" ? `interrupted by a restart (${run.attempts} attempts)` : null },
      });
      if (changed.count !== 1) return false;
      await appendAudit(tx, {
        actorId: null,
        action: next === "QUEUED" ? "CLUSTERING_RUN_REQUEUED" : next === "FAILED" ? "CLUSTERING_RUN_FAILED" : "CLUSTERING_RUN_CANCELLED",
        subjectType: "clustering_run",
        subjectId: run.id,
        data: { reason: "interrupted by a restart", attempts: run.attempts },
      });
      return true;
    });
    if (!done) continue;
    if (next === "QUEUED") {
      await enqueueRun(run.id);
      report.requeued.push(run.id);
    } else (next === "FAILED" ? report.failed : report.cancelled).push(run.id);
  }
  return report;
}
