import "server-only";
import { storeRunSecrets } from "@/lib/authority/clustering";
import { db } from "@/lib/db/client";
import { clusterSizes, type HopcmResult } from "@/lib/hopcm";
import { appendCspAudit } from "@/lib/ledger/append";
import type { RunTimes } from "./backend";
import { RunSuperseded, type Mine } from "./heartbeat";

/**
 * A finished run's result, stored in one transaction: the CSP's share (labels, typicalities
 * rounded to 1e-4, cluster sizes, SUCCEEDED, its log entry) and the key holder's (centers, mass,
 * distances and the run's units, sealed in authority.run_secrets). Nothing is written before
 * the end, so an interrupted run leaves nothing half-done.
 */

/** Typicalities stored at the CSP are rounded: full-precision CKKS decryptions must not reach the party holding the ciphertexts. */
const TYPICALITY_DIGITS = 1e4;
const RESULT_TX = { timeout: 120_000, maxWait: 10_000 } as const;

/** A run's units (lib/hopcm runUnits), sealed with its result so an extension maps its uploads to them. */
export type Reference = { mean: Float64Array; sd: Float64Array };

type RunRow = { id: string; k: number; n: number; p: number; baseRunId: string | null };

/**
 * One transaction: labels and rounded typicalities of the records this run read (plus, for an
 * extension, the base run's labels copied as they are), sealed centers, mass and distances,
 * SUCCEEDED, audit entry.
 */
export async function storeResult(
  mine: Mine,
  run: RunRow,
  out: {
    offsets: number[];
    uploadIds: string[];
    result: HopcmResult;
    labels: Int32Array;
    typicality: Float64Array;
    d2: Float64Array;
    times: RunTimes;
    reference: Reference | null;
  },
) {
  const { result, labels, typicality, offsets, uploadIds, times } = out;
  const { k, p } = run;
  const n = labels.length;
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
    if (run.baseRunId) {
      const carried = await tx.$executeRaw`
        INSERT INTO csp.run_labels (run_id, upload_id, record_index, label, typicality)
        SELECT ${run.id}::uuid, upload_id, record_index, label, typicality FROM csp.run_labels WHERE run_id = ${run.baseRunId}::uuid`;
      const base = await tx.runLabel.groupBy({ by: ["label"], where: { runId: run.id }, _count: { _all: true } });
      for (const g of base) sizes[g.label] += g._count._all;
      if (carried + n !== run.n) throw new Error(`the base run's labels changed (${carried} + ${n} records, expected ${run.n})`);
    }
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
    await storeRunSecrets(tx, run.id, { k, n, p, centers: result.centers, mass: result.mass, distances: out.d2, reference: out.reference });
    await appendCspAudit(tx, {
      actorId: null,
      action: "CLUSTERING_RUN_COMPLETED",
      subjectType: "clustering_run",
      subjectId: run.id,
      data: {
        k,
        n: run.n,
        ...(run.baseRunId ? { base: run.baseRunId, added: n } : {}),
        iterations: result.iterations,
        sizes,
        converged: result.converged,
        cspMs: Math.round(times.csp),
        keyHolderMs: Math.round(times.keyHolder),
      },
    });
  }, RESULT_TX);
}
