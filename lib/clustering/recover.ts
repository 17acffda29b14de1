import "server-only";
import { db } from "@/lib/db/client";
import { appendCspAudit } from "@/lib/ledger/append";
import { enqueueRun, hasLiveJob } from "./queue";

/**
 * Restart policy (recoverRuns): a run is never lost silently. A QUEUED run without a live
 * pg-boss job (its job_id names no waiting or active job) gets a new job. A RUNNING run whose
 * heartbeat (touched every iteration, ./heartbeat.ts) is older than STALE_MS lost its worker: it
 * is re-queued from the start (runs are deterministic and write their results in one
 * transaction at the end, so nothing half-done remains), up to MAX_ATTEMPTS, then FAILED
 * "interrupted by a restart". A cancelled-while-interrupted run becomes CANCELLED. Every worker
 * claims a run by bumping `attempts`; a worker whose attempt is no longer current (the run was
 * taken over) stops without writing anything. Taking a run over clears its job_id: the dead
 * worker's job stays "active" in pg-boss until it expires and must not count as the run's job.
 *
 * What pg-boss (10.4, the version installed) does itself, and why this stays ours:
 * - Job lookup: used. hasLiveJob asks pg-boss for the run's job by id (getJobById) instead of
 *   reading pgboss.job's payloads in SQL.
 * - Retry (retryLimit): off. pg-boss retries a job whose handler threw or which expired.
 *   processRun records a run's failure (FAILED + reason + audit) and cancellation (CANCELLED)
 *   itself and returns; throwing instead, for pg-boss to retry, would start again a run whose
 *   failure or cancellation is already recorded and audited. A retry of an interrupted run
 *   finds it RUNNING, which the claim refuses: re-running it takes what pg-boss does not do,
 *   resetting it to QUEUED with the audit entry CLUSTERING_RUN_REQUEUED, `attempts` for the
 *   superseded check, a requested cancellation honoured, FAILED with a reason after MAX_ATTEMPTS.
 * - Expiry (expireInSeconds, 23 h on the queue): kept as pg-boss's backstop that moves a dead
 *   worker's job out of "active". It cannot stand in for STALE_MS: it counts from the job's
 *   start, not from the last progress, and a sound run takes from a minute (WDBC) to hours.
 * - Heartbeat: pg-boss 10 has none (later releases add heartbeatSeconds, which fails or retries
 *   the job, see above). Our beat is also the progress write, the cancellation read-back and the
 *   attempt check, once per iteration: it shows that the run advances, where a timer-driven
 *   heartbeat shows only that the process lives (and misses its beats while SEAL blocks it).
 * - singletonKey: not used. On a standard queue it deduplicates nothing; under the "singleton"
 *   or "stately" policies the dead worker's still-active job would hold back the recovery job
 *   under the same key until it expires. Duplicate jobs are harmless: the claim (QUEUED ->
 *   RUNNING with the current `attempts`) lets one through and the others return SKIPPED.
 */

export const STALE_MS = 120_000;
export const MAX_ATTEMPTS = 3;

/** See the restart policy above. Returns what it did, for logs and tests. */
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
            ? { status: "QUEUED", jobId: null, heartbeatAt: null, iteration: 0, progress: 0 }
            : { status: next, jobId: null, finishedAt: now, error: next === "FAILED" ? `interrupted by a restart (${run.attempts} attempts)` : null },
      });
      if (changed.count !== 1) return false;
      await appendCspAudit(tx, {
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
