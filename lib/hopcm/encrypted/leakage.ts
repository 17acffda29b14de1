import type { AsyncHopcmBackend } from "../hopcm";

/**
 * Issue #14's attack on the key holder's view, written before the protocol that must defeat it.
 *
 * In today's protocol the key holder chooses the centers v_t,i and decrypts every record's
 * squared distance to them, every iteration. Each decryption is one linear equation in the record:
 *
 *   d2_tij - |v_ti|^2 = |x_j|^2 - 2 v_ti . x_j        (unknowns: x_j in R^p and s_j = |x_j|^2)
 *
 * With more than p + 1 distinct centers over a run, least squares gives x_j back. `recording`
 * keeps what the key holder has after each distances request (the centers it chose and the
 * distances it decrypted); `reconstructRecords` solves for every record; `reconstructionError`
 * says how close that came, per feature, in the data's standard deviations.
 */

export interface KeyHolderTranscript {
  n: number;
  p: number;
  /** One entry per distances request: the k x p centers the key holder sent, the k x n distances it decrypted. */
  rounds: Array<{ k: number; centers: Float64Array; d2: Float64Array }>;
}

/** `backend` as the key holder drives it, keeping a copy of every distances round. */
export function recording(backend: AsyncHopcmBackend): { backend: AsyncHopcmBackend; transcript: KeyHolderTranscript } {
  const transcript: KeyHolderTranscript = { n: backend.n, p: backend.p, rounds: [] };
  return {
    transcript,
    backend: {
      n: backend.n,
      p: backend.p,
      pointDistances: (index) => backend.pointDistances(index),
      weightedSums: (weights, k) => backend.weightedSums(weights, k),
      async distances(centers, k, stage) {
        const d2 = await backend.distances(centers, k, stage);
        transcript.rounds.push({ k, centers: Float64Array.from(centers), d2: Float64Array.from(d2) });
        return d2;
      },
    },
  };
}

/** Solves A z = b for a symmetric positive definite A (m x m, row-major) by Cholesky; A and b are overwritten. */
function solveSpd(A: Float64Array, b: Float64Array, m: number): Float64Array {
  for (let c = 0; c < m; c++) {
    let d = A[c * m + c];
    for (let t = 0; t < c; t++) d -= A[c * m + t] * A[c * m + t];
    if (!(d > 0)) throw new Error("reconstruction: the centers do not span the feature space");
    const L = Math.sqrt(d);
    A[c * m + c] = L;
    for (let r = c + 1; r < m; r++) {
      let s = A[r * m + c];
      for (let t = 0; t < c; t++) s -= A[r * m + t] * A[c * m + t];
      A[r * m + c] = s / L;
    }
  }
  for (let r = 0; r < m; r++) {
    let s = b[r];
    for (let t = 0; t < r; t++) s -= A[r * m + t] * b[t];
    b[r] = s / A[r * m + r];
  }
  for (let r = m - 1; r >= 0; r--) {
    let s = b[r];
    for (let t = r + 1; t < m; t++) s -= A[t * m + r] * b[t];
    b[r] = s / A[r * m + r];
  }
  return b;
}

/**
 * Least squares over every round: the records (row-major n x p) the transcript determines. The
 * design matrix (rows [1, -2 v_ti]) is the same for every record, so its normal matrix is formed
 * once; a tiny ridge keeps it solvable when the centers barely move late in a run.
 */
export function reconstructRecords(t: KeyHolderTranscript): Float64Array {
  const { n, p, rounds } = t;
  const m = p + 1;
  const rows: Array<{ a: Float64Array; norm: number; d2: Float64Array; offset: number }> = [];
  for (const r of rounds)
    for (let i = 0; i < r.k; i++) {
      const a = new Float64Array(m);
      a[0] = 1;
      let norm = 0;
      for (let l = 0; l < p; l++) {
        const v = r.centers[i * p + l];
        a[l + 1] = -2 * v;
        norm += v * v;
      }
      rows.push({ a, norm, d2: r.d2, offset: i * n });
    }
  const normal = new Float64Array(m * m);
  for (const { a } of rows) for (let u = 0; u < m; u++) for (let w = 0; w < m; w++) normal[u * m + w] += a[u] * a[w];
  for (let u = 0; u < m; u++) normal[u * m + u] += 1e-9;
  const out = new Float64Array(n * p);
  for (let j = 0; j < n; j++) {
    const rhs = new Float64Array(m);
    for (const { a, norm, d2, offset } of rows) {
      const y = d2[offset + j] - norm;
      for (let u = 0; u < m; u++) rhs[u] += a[u] * y;
    }
    const z = solveSpd(Float64Array.from(normal), rhs, m);
    for (let l = 0; l < p; l++) out[j * p + l] = z[l + 1];
  }
  return out;
}

/**
 * Per feature, the root-mean-square error of `guess` against `X` (both row-major n x p), in
 * units of that feature's standard deviation: about 1 is what guessing the mean achieves.
 */
export function reconstructionError(X: Float64Array, guess: Float64Array, n: number, p: number): Float64Array {
  const out = new Float64Array(p);
  for (let l = 0; l < p; l++) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += X[j * p + l];
    mean /= n;
    let variance = 0;
    let error = 0;
    for (let j = 0; j < n; j++) {
      variance += (X[j * p + l] - mean) ** 2;
      error += (X[j * p + l] - guess[j * p + l]) ** 2;
    }
    out[l] = Math.sqrt(error / n) / Math.sqrt(variance / n || 1);
  }
  return out;
}
