/** Clustering quality: external (ARI, NMI), internal (silhouette), and the PCM objective. */
import { mulberry32 } from "./prng";
import { distanceStep } from "./steps";

type Labels = ArrayLike<number | string>;

/** Contingency table of two labelings, with both marginals. */
function contingency(a: Labels, b: Labels): { table: number[][]; rows: number[]; cols: number[]; n: number } {
  if (a.length !== b.length) throw new RangeError(`labelings differ in length: ${a.length} vs ${b.length}`);
  const ia = new Map<number | string, number>();
  const ib = new Map<number | string, number>();
  const ca: number[] = [];
  const cb: number[] = [];
  for (let j = 0; j < a.length; j++) {
    if (!ia.has(a[j])) ia.set(a[j], ia.size);
    if (!ib.has(b[j])) ib.set(b[j], ib.size);
    ca.push(ia.get(a[j])!);
    cb.push(ib.get(b[j])!);
  }
  const table = Array.from({ length: ia.size }, () => new Array<number>(ib.size).fill(0));
  for (let j = 0; j < a.length; j++) table[ca[j]][cb[j]]++;
  const rows = table.map((r) => r.reduce((s, x) => s + x, 0));
  const cols = Array.from({ length: ib.size }, (_, c) => table.reduce((s, r) => s + r[c], 0));
  return { table, rows, cols, n: a.length };
}

const comb2 = (x: number) => (x * (x - 1)) / 2;

/**
 * Adjusted Rand index (Hubert & Arabie 1985): 1 for identical partitions (up to renaming),
 * about 0 for independent ones. Two single-cluster labelings count as identical (1).
 */
export function adjustedRandIndex(truth: Labels, predicted: Labels): number {
  const { table, rows, cols, n } = contingency(truth, predicted);
  let sumIJ = 0;
  for (const r of table) for (const x of r) sumIJ += comb2(x);
  const sumA = rows.reduce((s, x) => s + comb2(x), 0);
  const sumB = cols.reduce((s, x) => s + comb2(x), 0);
  const expected = (sumA * sumB) / comb2(n);
  const max = (sumA + sumB) / 2;
  if (max === expected) return 1; // both trivial partitions
  return (sumIJ - expected) / (max - expected);
}

/**
 * Normalised mutual information with arithmetic-mean normalisation (scikit-learn's default):
 * NMI = I(A;B) / ((H(A) + H(B)) / 2). 1 when both labelings are a single cluster.
 */
export function normalizedMutualInfo(truth: Labels, predicted: Labels): number {
  const { table, rows, cols, n } = contingency(truth, predicted);
  const H = (m: number[]) => -m.reduce((s, x) => (x > 0 ? s + (x / n) * Math.log(x / n) : s), 0);
  const hA = H(rows);
  const hB = H(cols);
  if (hA === 0 && hB === 0) return 1;
  let mi = 0;
  for (let r = 0; r < rows.length; r++)
    for (let c = 0; c < cols.length; c++) {
      const x = table[r][c];
      if (x > 0) mi += (x / n) * Math.log((n * x) / (rows[r] * cols[c]));
    }
  const denom = (hA + hB) / 2;
  return denom > 0 ? Math.max(0, mi / denom) : 0;
}

/**
 * Mean silhouette (Rousseeuw 1987) with Euclidean distances. For n above `sampleSize` the mean
 * is taken over a seeded sample of points (each still compared with all n points).
 * Points in singleton clusters score 0; fewer than 2 clusters gives 0.
 */
export function silhouette(X: Float64Array, n: number, p: number, labels: ArrayLike<number>, options: { sampleSize?: number; seed?: number } = {}): number {
  const sampleSize = options.sampleSize ?? 2000;
  let k = 0;
  for (let j = 0; j < n; j++) if (labels[j] + 1 > k) k = labels[j] + 1;
  const counts = new Float64Array(k);
  for (let j = 0; j < n; j++) counts[labels[j]]++;
  let nonEmpty = 0;
  for (let i = 0; i < k; i++) if (counts[i] > 0) nonEmpty++;
  if (nonEmpty < 2) return 0;

  let sample: Int32Array;
  if (n <= sampleSize) sample = Int32Array.from({ length: n }, (_, j) => j);
  else {
    const rng = mulberry32(options.seed ?? 42);
    const chosen = new Set<number>();
    while (chosen.size < sampleSize) chosen.add(Math.floor(rng() * n));
    sample = Int32Array.from([...chosen].sort((x, y) => x - y));
  }
  const sums = new Float64Array(k);
  let total = 0;
  for (const s of sample) {
    sums.fill(0);
    for (let j = 0; j < n; j++) {
      if (j === s) continue;
      let d = 0;
      for (let l = 0; l < p; l++) {
        const diff = X[s * p + l] - X[j * p + l];
        d += diff * diff;
      }
      sums[labels[j]] += Math.sqrt(d);
    }
    const own = labels[s];
    if (counts[own] <= 1) continue; // s(i) = 0 for singletons
    const a = sums[own] / (counts[own] - 1);
    let b = Infinity;
    for (let i = 0; i < k; i++) if (i !== own && counts[i] > 0 && sums[i] / counts[i] < b) b = sums[i] / counts[i];
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / sample.length;
}

/**
 * The PCM objective (Krishnapuram & Keller 1993):
 * J = sum_ij t_ij^m d2_ij + sum_i eta_i sum_j (1 - t_ij)^m, with t k x n.
 */
export function pcmObjective(
  X: Float64Array,
  n: number,
  p: number,
  centers: Float64Array,
  typicality: Float64Array,
  eta: ArrayLike<number>,
  m: number,
): number {
  const k = eta.length;
  const d2 = distanceStep(X, n, p, centers, k);
  let J = 0;
  for (let i = 0; i < k; i++)
    for (let j = 0; j < n; j++) {
      const t = typicality[i * n + j];
      J += Math.pow(t, m) * d2[i * n + j] + eta[i] * Math.pow(1 - t, m);
    }
  return J;
}

/** Cluster sizes: counts[i] = #{j : labels[j] = i}, for i < k. */
export function clusterSizes(labels: ArrayLike<number>, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let j = 0; j < labels.length; j++) counts[labels[j]]++;
  return counts;
}
