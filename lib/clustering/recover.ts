import "server-only";
import { db } from "@/lib/db/client";
import { appendCspAudit } from "@/lib/ledger/append";
import { enqueueRun, hasLiveJob } from "./queue";

/**
 * Restart policy (recoverRuns): a run is never lost silently. A QUEUED run without a live
 * pg-boss job gets a new job. A RUNNING run whose heartbeat (touched every iteration) is older
 * than STALE_MS lost its worker: it is re-queued from the start (runs are deterministic and
 * write their results in one transaction at the end, so nothing half-done remains), up to
 * MAX_ATTEMPTS, then FAILED "interrupted by a restart". A cancelled-while-interrupted run
 * becomes CANCELLED. Every worker claims a run by bumping `attempts`; a worker whose attempt
 * is no longer current (the run was taken over) stops without writing anything.
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
            ? { status: "QUEUED", heartbeatAt: null, iteration: 0, progress: 0, objective: [] }
            : { status: next, finishedAt: now, error: next === "FAILED" ? `interrupted by a restart (${run.attempts} attempts)` : null },
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
