import "server-only";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendCspAudit } from "@/lib/ledger/append";

/** Renames a run and sets its note (the admin's words), audited. */
export async function describeRun({ actorId, runId, ...text }: { actorId: string; runId: string; name: string; note: string }) {
  return db().$transaction(async (tx) => {
    const run = await tx.clusteringRun.findUnique({ where: { id: runId }, select: { name: true, note: true } });
    if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
    if (run.name === text.name && run.note === text.note) return { changed: false };
    await tx.clusteringRun.update({ where: { id: runId }, data: { name: text.name, note: text.note } });
    await appendCspAudit(tx, {
      actorId,
      action: "CLUSTERING_RUN_DESCRIBED",
      subjectType: "clustering_run",
      subjectId: runId,
      data: { name: text.name, noteChanged: run.note !== text.note },
    });
    return { changed: true };
  });
}

/**
 * Deletes a finished, failed or cancelled run with its labels, audited. A queued or running run
 * is refused (cancel it first), and so is a run that later runs extend (delete those first).
 */
export async function deleteRun({ actorId, runId }: { actorId: string; runId: string }) {
  return db().$transaction(async (tx) => {
    const [run] = await tx.$queryRaw<Array<{ status: string; name: string; k: number; n: number }>>`
      SELECT status::text AS status, name, k, n FROM csp.clustering_runs WHERE id = ${runId}::uuid FOR UPDATE`;
    if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
    if (run.status === "QUEUED" || run.status === "RUNNING") throw new AppError("INVALID_STATE", "This run is still running: cancel it before deleting it.");
    const extensions = await tx.clusteringRun.count({ where: { baseRunId: runId } });
    if (extensions)
      throw new AppError(
        "INVALID_STATE",
        `${extensions} later run${extensions > 1 ? "s extend" : " extends"} this run: delete ${extensions > 1 ? "them" : "it"} first.`,
      );
    const labels = await tx.runLabel.deleteMany({ where: { runId } });
    await tx.clusteringRun.delete({ where: { id: runId } });
    await appendCspAudit(tx, {
      actorId,
      action: "CLUSTERING_RUN_DELETED",
      subjectType: "clustering_run",
      subjectId: runId,
      data: { name: run.name, status: run.status, k: run.k, n: run.n, labels: labels.count },
    });
    return { deleted: true };
  });
}
