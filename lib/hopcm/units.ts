/**
 * Run-wide units for uploads standardised separately. Each hospital z-scores its own upload
 * (x = (raw - mean_u) / sd_u); clustering several uploads together needs one scale per feature,
 * or uploads with a different case mix are compared in different units. With the uploads'
 * statistics, every upload's z-scores map to the run's by an affine change per feature:
 *
 *   z = (raw - M) / S = a_u x + b_u,   a_u = sd_u / S,   b_u = (mean_u - M) / S
 *
 * where M, S are the pooled mean and standard deviation over all the run's records (or a
 * reference kept from an earlier run, so an extension stays in that run's units).
 */
import type { FeatureSchema } from "./features";

export interface ColumnStats {
  /** Records the statistics were computed over. */
  n: number;
  mean: Float64Array;
  /** Population standard deviation (0 for a constant column). */
  sd: Float64Array;
}

export interface UploadUnits {
  /** a_u (per feature): factor from the upload's z-scores to the run's. */
  scale: Float64Array;
  /** b_u (per feature): the run's value of the upload's z = 0. */
  shift: Float64Array;
}

export interface RunUnits {
  /** The run's normalisation (M, S per feature): keep it to extend the run later. */
  reference: { mean: Float64Array; sd: Float64Array };
  units: UploadUnits[];
}

/** Pooled mean and standard deviation over uploads (exact: the statistics of the union). */
export function pooledStats(stats: ColumnStats[]): { mean: Float64Array; sd: Float64Array } {
  if (stats.length === 0) throw new RangeError("no statistics to pool");
  const p = stats[0].mean.length;
  const N = stats.reduce((t, s) => t + s.n, 0);
  if (!(N > 0)) throw new RangeError("no records to pool");
  const mean = new Float64Array(p);
  const sd = new Float64Array(p);
  for (const s of stats) {
    if (s.mean.length !== p || s.sd.length !== p) throw new RangeError("statistics of different widths");
    for (let l = 0; l < p; l++) mean[l] += (s.n * s.mean[l]) / N;
  }
  for (let l = 0; l < p; l++) {
    let v = 0;
    for (const s of stats) v += (s.n * (s.sd[l] * s.sd[l] + (s.mean[l] - mean[l]) ** 2)) / N;
    sd[l] = Math.sqrt(v);
  }
  return { mean, sd };
}

/** Each upload's affine change to the run's units (pooled, or the given reference). */
export function runUnits(stats: ColumnStats[], reference?: { mean: Float64Array; sd: Float64Array }): RunUnits {
  // One upload in its own units: exactly the identity (pooling would round means by 1 ulp).
  if (!reference && stats.length === 1) {
    const p = stats[0].mean.length;
    return { reference: { mean: stats[0].mean, sd: stats[0].sd }, units: [{ scale: new Float64Array(p).fill(1), shift: new Float64Array(p) }] };
  }
  const ref = reference ?? pooledStats(stats);
  const p = ref.mean.length;
  const units = stats.map((s) => {
    if (s.mean.length !== p) throw new RangeError("statistics of different widths");
    const scale = new Float64Array(p);
    const shift = new Float64Array(p);
    for (let l = 0; l < p; l++) {
      const S = ref.sd[l] > 0 ? ref.sd[l] : 1; // a feature constant over the run: any unit will do
      scale[l] = s.sd[l] > 0 ? s.sd[l] / S : 1; // a constant column has x = 0 in its upload: its scale does not matter
      shift[l] = (s.mean[l] - ref.mean[l]) / S;
    }
    return { scale, shift };
  });
  return { reference: ref, units };
}

/** True when the units change nothing (a single upload in its own units). */
export function isIdentity(u: UploadUnits): boolean {
  return u.shift.every((b) => b === 0) && u.scale.every((a) => a === 1);
}

/** z = a x + b for every record of one upload (row-major n x p): the plaintext reference's data. */
export function applyUnits(X: Float64Array, n: number, p: number, u: UploadUnits): Float64Array {
  const Z = new Float64Array(n * p);
  for (let j = 0; j < n; j++) for (let l = 0; l < p; l++) Z[j * p + l] = u.scale[l] * X[j * p + l] + u.shift[l];
  return Z;
}

/**
 * What a hospital's browser reports with its encrypted features: per feature, the mean and
 * population standard deviation its numeric columns were z-scored with (0 for constant ones),
 * and mean 0, sd 1 for one-hot slots (so those stay as they are in every upload: a = 1, b = 0).
 */
export function statsOfSchema(schema: FeatureSchema, n: number, constant: string[] = []): ColumnStats {
  const mean = new Float64Array(schema.p);
  const sd = new Float64Array(schema.p).fill(1);
  for (const c of schema.columns)
    if (c.kind === "numeric") {
      mean[c.offset] = c.mean;
      sd[c.offset] = constant.includes(c.name) ? 0 : c.std;
    }
  return { n, mean, sd };
}

/**
 * Largest norm a record of this upload can have in the run's units, from its own largest norm:
 * ||a x + b|| <= max_l a_l ||x|| + ||b||. The CKKS parameters bound it (params maxRecordNorm).
 */
export function unitsNormBound(u: UploadUnits, maxNorm: number): number {
  const aMax = u.scale.reduce((m, a) => Math.max(m, Math.abs(a)), 0);
  return aMax * maxNorm + Math.hypot(...u.shift);
}

/**
 * A matrix's column statistics and z-scores (population sd; a constant column is divided by 1),
 * as a browser's `fitFeatures` z-scores numeric columns: for reference computations and tests.
 */
export function standardize(X: Float64Array, n: number, p: number): { Z: Float64Array; stats: ColumnStats } {
  const mean = new Float64Array(p);
  const sd = new Float64Array(p);
  for (let j = 0; j < n; j++) for (let l = 0; l < p; l++) mean[l] += X[j * p + l] / n;
  for (let j = 0; j < n; j++) for (let l = 0; l < p; l++) sd[l] += (X[j * p + l] - mean[l]) ** 2 / n;
  for (let l = 0; l < p; l++) sd[l] = Math.sqrt(sd[l]);
  const Z = Float64Array.from(X, (x, t) => (x - mean[t % p]) / (sd[t % p] || 1));
  return { Z, stats: { n, mean, sd } };
}
