import "server-only";
import { db } from "@/lib/db/client";
import { appendAudit } from "@/lib/ledger/append";
import { cspCall } from "@/lib/parties/csp-client";

/** Renames a run and sets its note; the CSP stores and audits them. */
export function describeRun({ adminId, runId, name, note }: { adminId: string; runId: string; name: string; note: string }) {
  return cspCall("runs.describe", { runId, name, note }, { sub: adminId });
}

/**
 * Deletes a run that no longer runs: the CSP deletes its row and labels (and refuses a running
 * run or one others extend), then the authority drops what it kept of the run (its sealed seed,
 * centers and mass, its convergence trace), audited in the same transaction.
 */
export async function deleteRun({ adminId, runId }: { adminId: string; runId: string }) {
  await cspCall("runs.delete", { runId }, { sub: adminId });
  await db().$transaction(async (tx) => {
    const secrets = await tx.runSecret.deleteMany({ where: { runId } });
    const seeds = await tx.runSeed.deleteMany({ where: { runId } });
    await tx.runTrace.deleteMany({ where: { runId } });
    await appendAudit(tx, {
      actorId: adminId,
      action: "CLUSTERING_RUN_DELETED",
      subjectType: "clustering_run",
      subjectId: runId,
      data: { secrets: secrets.count, seeds: seeds.count },
    });
  });
  return { deleted: true };
}
