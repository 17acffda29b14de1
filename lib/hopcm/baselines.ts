/**
 * Plain k-means (Lloyd) and plain fuzzy c-means, for comparison with HoPCM on the same data.
 * Both seed with k-means++ from the same seeded PRNG.
 */
import { mulberry32, sampleWeighted, type Rng } from "./prng";
import { argmaxLabels, centerStep, distanceStep, fcmMembershipStep, pointDistanceStep } from "./steps";

/** k-means++ (Arthur & Vassilvitskii 2007): k data points by D^2 sampling, as centers (k x p). */
export function kmeansPlusPlus(X: Float64Array, n: number, p: number, k: number, rng: Rng): Float64Array {
  if (k < 1 || k > n) throw new RangeError(`k = ${k} must be in 1..n (n = ${n})`);
  const centers = new Float64Array(k * p);
  const minD = new Float64Array(n).fill(Infinity);
  const row = new Float64Array(n);
  for (let i = 0; i < k; i++) {
    let pick = i === 0 ? Math.floor(rng() * n) : sampleWeighted(minD, rng);
    if (pick < 0) pick = Math.floor(rng() * n);
    centers.set(X.subarray(pick * p, (pick + 1) * p), i * p);
    pointDistanceStep(X, n, p, pick, row);
    for (let j = 0; j < n; j++) if (row[j] < minD[j]) minD[j] = row[j];
  }
  return centers;
}

export interface KMeansOptions {
  k: number;
  seed?: number;
  maxIter?: number;
  /** Independent k-means++ restarts; the lowest inertia wins. Default 10. */
  nInit?: number;
}

export interface KMeansResult {
  centers: Float64Array;
  labels: Int32Array;
  /** Sum of squared distances to the assigned center. */
  inertia: number;
  iterations: number;
}

/** Lloyd's k-means with k-means++ seeding. */
export function kmeans(X: Float64Array, n: number, p: number, options: KMeansOptions): KMeansResult {
  const { k } = options;
  const rng = mulberry32(options.seed ?? 42);
  const maxIter = options.maxIter ?? 300;
  let best: KMeansResult | null = null;
  const d2 = new Float64Array(k * n);
  for (let run = 0; run < (options.nInit ?? 10); run++) {
    let centers = kmeansPlusPlus(X, n, p, k, rng);
    const labels = new Int32Array(n).fill(-1);
    const counts = new Float64Array(k);
    let iterations = 0;
    let inertia = 0;
    for (;;) {
      distanceStep(X, n, p, centers, k, d2);
      let changed = false;
      inertia = 0;
      for (let j = 0; j < n; j++) {
        let bi = 0;
        let bd = d2[j];
        for (let i = 1; i < k; i++) {
          if (d2[i * n + j] < bd) {
            bd = d2[i * n + j];
            bi = i;
          }
        }
        inertia += bd;
        if (labels[j] !== bi) {
          labels[j] = bi;
          changed = true;
        }
      }
      if (!changed || iterations >= maxIter) break;
      const next = new Float64Array(k * p);
      counts.fill(0);
      for (let j = 0; j < n; j++) {
        const i = labels[j];
        counts[i]++;
        for (let l = 0; l < p; l++) next[i * p + l] += X[j * p + l];
      }
      for (let i = 0; i < k; i++) {
        if (counts[i] === 0) {
          // Empty cluster: move it to the point farthest from its center.
          let far = 0;
          let fd = -1;
          for (let j = 0; j < n; j++) {
            if (d2[labels[j] * n + j] > fd) {
              fd = d2[labels[j] * n + j];
              far = j;
            }
          }
          next.set(X.subarray(far * p, (far + 1) * p), i * p);
        } else for (let l = 0; l < p; l++) next[i * p + l] /= counts[i];
      }
      centers = next;
      iterations++;
    }
    if (!best || inertia < best.inertia) best = { centers, labels: Int32Array.from(labels), inertia, iterations };
  }
  return best!;
}

export interface FcmOptions {
  k: number;
  seed?: number;
  /** Fuzzifier, default 2. */
  m?: number;
  /** Stop when the largest center shift is below eps. Default 1e-6. */
  eps?: number;
  maxIter?: number;
}

export interface FcmResult {
  centers: Float64Array;
  /** Memberships u, k x n. */
  membership: Float64Array;
  labels: Int32Array;
  /** J_m = sum_ij u_ij^m d2_ij. */
  objective: number;
  iterations: number;
}

/** Fuzzy c-means (Bezdek 1981) with k-means++ seeded centers. */
export function fcm(X: Float64Array, n: number, p: number, options: FcmOptions): FcmResult {
  const { k } = options;
  const m = options.m ?? 2;
  const eps = options.eps ?? 1e-6;
  const maxIter = options.maxIter ?? 300;
  let centers = kmeansPlusPlus(X, n, p, k, mulberry32(options.seed ?? 42));
  const d2 = new Float64Array(k * n);
  const u = new Float64Array(k * n);
  const w = new Float64Array(k * n);
  let iterations = 0;
  distanceStep(X, n, p, centers, k, d2);
  while (iterations < maxIter) {
    fcmMembershipStep(d2, k, n, m, u);
    for (let idx = 0; idx < k * n; idx++) w[idx] = Math.pow(u[idx], m);
    const next = centerStep(X, n, p, w, k, centers);
    let shift = 0;
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let l = 0; l < p; l++) s += (next[i * p + l] - centers[i * p + l]) ** 2;
      if (s > shift) shift = s;
    }
    centers = next;
    distanceStep(X, n, p, centers, k, d2);
    iterations++;
    if (shift < eps * eps) break;
  }
  fcmMembershipStep(d2, k, n, m, u);
  let objective = 0;
  for (let idx = 0; idx < k * n; idx++) objective += Math.pow(u[idx], m) * d2[idx];
  return { centers, membership: u, labels: argmaxLabels(u, k, n), objective, iterations };
}
