import "server-only";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendCspAudit } from "@/lib/ledger/append";

/** Cancels a queued run at once; a running one stops at its next iteration (status CANCELLED). */
export async function cancelRun({ actorId, runId }: { actorId: string; runId: string }) {
  return db().$transaction(async (tx) => {
    const run = await tx.clusteringRun.findUnique({ where: { id: runId }, select: { status: true, cancelRequested: true, iteration: true } });
    if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
    if (run.status === "QUEUED") {
      await tx.clusteringRun.update({ where: { id: runId }, data: { status: "CANCELLED", cancelRequested: true, finishedAt: new Date() } });
      await appendCspAudit(tx, { actorId, action: "CLUSTERING_RUN_CANCELLED", subjectType: "clustering_run", subjectId: runId, data: { phase: "queued" } });
      return { status: "CANCELLED" as const };
    }
    if (run.status !== "RUNNING") throw new AppError("INVALID_STATE", "Only a queued or running run can be cancelled.");
    if (!run.cancelRequested) {
      await tx.clusteringRun.update({ where: { id: runId }, data: { cancelRequested: true } });
      await appendCspAudit(tx, {
        actorId,
        action: "CLUSTERING_RUN_CANCELLED",
        subjectType: "clustering_run",
        subjectId: runId,
        data: { phase: "requested", iteration: run.iteration },
      });
    }
    return { status: "CANCELLING" as const };
  });
}
