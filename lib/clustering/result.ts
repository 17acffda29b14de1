import "server-only";
import { db } from "@/lib/db/client";
import { clusterSizes } from "@/lib/hopcm";
import { appendCspAudit } from "@/lib/ledger/append";
import type { RunTimes } from "./backend";
import { RunSuperseded, type Mine } from "./heartbeat";
import { TypicalitySummary, mergeTypicality } from "./typicality";
import { fromJsonOrNull } from "@/lib/db/json";
import { Prisma } from "@/lib/generated/prisma/client";

/**
 * A finished run's result at the CSP, stored in one transaction: labels, cluster sizes,
 * per-cluster typicality aggregates (the key holder's, sent with the labels), SUCCEEDED, its log
 * entry. The key holder keeps its share (centers, mass and the run's units, sealed in
 * authority.run_secrets) itself (lib/authority/run-key-holder.ts). No per-record value but the
 * label is stored by either party (issue #14). Nothing is written before the end, so an
 * interrupted run leaves nothing half-done.
 */
const RESULT_TX = { timeout: 120_000, maxWait: 10_000 } as const;

type RunRow = { id: string; k: number; n: number; p: number; baseRunId: string | null };

/**
 * One transaction: labels of the records this run read (plus, for an extension, the base run's
 * labels copied as they are), the typicality aggregates (an extension's merged with its base's),
 * SUCCEEDED, audit entry.
 */
export async function storeResult(
  mine: Mine,
  run: RunRow,
  out: {
    offsets: number[];
    uploadIds: string[];
    iterations: number;
    converged: boolean;
    labels: Int32Array;
    /** The key holder's per-cluster aggregates; null: a blind run (nobody knows a record's typicality). */
    typicality: TypicalitySummary | null;
    times: RunTimes;
    protocol: "standard" | "blind";
  },
) {
  const { labels, offsets, uploadIds, times, iterations, converged } = out;
  const { k } = run;
  const n = labels.length;
  const sizes = clusterSizes(labels, k);
  let typicality = out.typicality;
  const rows: Array<{ runId: string; uploadId: string; recordIndex: number; label: number }> = [];
  for (let u = 0; u < uploadIds.length; u++) {
    const end = u + 1 < offsets.length ? offsets[u + 1] : n;
    for (let j = offsets[u]; j < end; j++)
      rows.push({
        runId: run.id,
        uploadId: uploadIds[u],
        recordIndex: j - offsets[u],
        label: labels[j],
      });
  }
  await db().$transaction(async (tx) => {
    if (run.baseRunId) {
      const carried = await tx.$executeRaw`
        INSERT INTO csp.run_labels (run_id, upload_id, record_index, label)
        SELECT ${run.id}::uuid, upload_id, record_index, label FROM csp.run_labels WHERE run_id = ${run.baseRunId}::uuid`;
      const base = await tx.runLabel.groupBy({ by: ["label"], where: { runId: run.id }, _count: { _all: true } });
      for (const g of base) sizes[g.label] += g._count._all;
      if (carried + n !== run.n) throw new Error(`the base run's labels changed (${carried} + ${n} records, expected ${run.n})`);
      const baseRun = await tx.clusteringRun.findUniqueOrThrow({ where: { id: run.baseRunId }, select: { typicality: true } });
      const baseSummary = fromJsonOrNull(TypicalitySummary, baseRun.typicality, "clustering_runs.typicality");
      // A base run from before the aggregates (none stored) leaves the extension's to its added records.
      if (baseSummary && typicality) typicality = mergeTypicality(baseSummary, typicality);
    }
    const changed = await tx.clusteringRun.updateMany({
      where: mine,
      data: {
        status: "SUCCEEDED",
        finishedAt: new Date(),
        progress: 1,
        iteration: iterations,
        clusterSizes: sizes,
        typicality: typicality ?? Prisma.DbNull,
        cspMs: times.csp,
        keyHolderMs: times.keyHolder,
      },
    });
    if (changed.count !== 1) throw new RunSuperseded();
    for (let i = 0; i < rows.length; i += 5000) await tx.runLabel.createMany({ data: rows.slice(i, i + 5000) });
    await appendCspAudit(tx, {
      actorId: null,
      action: "CLUSTERING_RUN_COMPLETED",
      subjectType: "clustering_run",
      subjectId: run.id,
      data: {
        k,
        n: run.n,
        ...(run.baseRunId ? { base: run.baseRunId, added: n } : {}),
        iterations,
        sizes,
        converged,
        ...(out.protocol === "blind" ? { protocol: "blind" } : {}),
        cspMs: Math.round(times.csp),
        keyHolderMs: Math.round(times.keyHolder),
      },
    });
  }, RESULT_TX);
}
