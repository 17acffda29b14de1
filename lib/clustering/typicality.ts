import { z } from "zod";

/**
 * What is kept of the records' typicalities once a run is finished (issue #14, "the CSP stores
 * labels only"): per cluster, a 10-bin histogram over [0, 1] of each record's typicality to its
 * own cluster, and their sum (for the mean). The key holder computes them from the typicalities
 * it holds during the run and hands them to the CSP with the labels; no per-record value is
 * stored by either party. Researchers and admins see these aggregates.
 */

export const TYPICALITY_BINS = 10;

/** csp.clustering_runs.typicality. */
export const TypicalitySummary = z.object({
  bins: z.array(z.array(z.number().int().nonnegative()).length(TYPICALITY_BINS)),
  sums: z.array(z.number()),
});
export type TypicalitySummary = z.infer<typeof TypicalitySummary>;

/** The summary of n records: `typicality[i * n + j]` is record j's typicality to cluster i. */
export function summarizeTypicality(labels: Int32Array, typicality: Float64Array, k: number): TypicalitySummary {
  const n = labels.length;
  const bins = Array.from({ length: k }, () => new Array<number>(TYPICALITY_BINS).fill(0));
  const sums = new Array<number>(k).fill(0);
  for (let j = 0; j < n; j++) {
    const i = labels[j];
    const t = typicality[i * n + j];
    bins[i][Math.min(TYPICALITY_BINS - 1, Math.max(0, Math.floor(t * TYPICALITY_BINS)))]++;
    sums[i] += t;
  }
  return { bins, sums: sums.map((s) => Math.round(s * 1e4) / 1e4) };
}

/** Two summaries over disjoint records (an extension's added records and its base run's). */
export function mergeTypicality(a: TypicalitySummary, b: TypicalitySummary): TypicalitySummary {
  if (a.bins.length !== b.bins.length) throw new Error("typicality summaries of different k");
  return {
    bins: a.bins.map((row, i) => row.map((c, bin) => c + b.bins[i][bin])),
    sums: a.sums.map((s, i) => Math.round((s + b.sums[i]) * 1e4) / 1e4),
  };
}

/** Per cluster: records, mean typicality (null for an empty cluster or no summary), and the bins as charts draw them. */
export function typicalityView(summary: TypicalitySummary | null, k: number) {
  return Array.from({ length: k }, (_, cluster) => {
    const counts = summary?.bins[cluster] ?? new Array<number>(TYPICALITY_BINS).fill(0);
    const size = counts.reduce((a, c) => a + c, 0);
    return {
      cluster,
      mean: summary && size > 0 ? Math.round((summary.sums[cluster] / size) * 1e4) / 1e4 : null,
      bins: counts.map((count, b) => ({ from: b / TYPICALITY_BINS, to: (b + 1) / TYPICALITY_BINS, count })),
    };
  });
}
