/** Seeded synthetic data: isotropic Gaussian blobs with known labels (tests, benchmarks). */
import { gaussian, mulberry32 } from "./prng";

export interface Blobs {
  X: Float64Array;
  n: number;
  p: number;
  labels: Int32Array;
  /** True blob centers, k x p. */
  centers: Float64Array;
}

/**
 * n points in p dimensions around k centers drawn uniformly in [-spread, spread]^p, with unit
 * standard deviation per coordinate; points are assigned to blobs round-robin then shuffled
 * by the seeded PRNG.
 */
export function makeBlobs(n: number, p: number, k: number, options: { seed?: number; spread?: number; std?: number } = {}): Blobs {
  const rng = mulberry32(options.seed ?? 1);
  const normal = gaussian(rng);
  const spread = options.spread ?? 10;
  const std = options.std ?? 1;
  const centers = new Float64Array(k * p);
  for (let i = 0; i < k * p; i++) centers[i] = (2 * rng() - 1) * spread;
  const X = new Float64Array(n * p);
  const labels = new Int32Array(n);
  for (let j = 0; j < n; j++) labels[j] = j % k;
  for (let j = n - 1; j > 0; j--) {
    const r = Math.floor(rng() * (j + 1));
    const tmp = labels[j];
    labels[j] = labels[r];
    labels[r] = tmp;
  }
  for (let j = 0; j < n; j++) {
    const c = labels[j];
    for (let l = 0; l < p; l++) X[j * p + l] = centers[c * p + l] + std * normal();
  }
  return { X, n, p, labels, centers };
}
