/**
 * The three steps of one HoPCM iteration as standalone pure functions.
 *
 * The encrypted protocol splits an iteration between two parties, so the steps are kept apart:
 * - distance step (CSP, on CKKS ciphertexts):       d2[i][j] = ||x_j - v_i||^2
 * - membership step (key holder, on plaintext d2):   u, t, weights w from d2 and eta
 * - center step, weighted sums (CSP, ciphertexts):   S_i = sum_j w_ij x_j
 *   and the division (key holder):                   v_i = S_i / sum_j w_ij
 *
 * Layout: data X is row-major n x p, centers k x p, every per-cluster-per-point matrix
 * (d2, u, t, w) is cluster-major k x n. Distances are Euclidean: a tensor metric G is applied
 * beforehand by transforming the data with L^T (see metric.ts).
 */
import type { LabelRule } from "./options";

/** d2[i*n + j] = ||x_j - v_i||^2 (the distance step). `out` is reused when given. */
export function distanceStep(
  X: Float64Array,
  n: number,
  p: number,
  centers: Float64Array,
  k: number,
  out: Float64Array = new Float64Array(k * n),
): Float64Array {
  for (let i = 0; i < k; i++) {
    const vo = i * p;
    const oo = i * n;
    let j = 0;
    // Four points per pass share each center element load (about 2x faster in V8); every
    // distance is still summed over l in order, so results equal the naive loop bit for bit.
    for (; j + 3 < n; j += 4) {
      const x0 = j * p;
      const x1 = x0 + p;
      const x2 = x1 + p;
      const x3 = x2 + p;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let l = 0; l < p; l++) {
        const c = centers[vo + l];
        const e0 = X[x0 + l] - c;
        const e1 = X[x1 + l] - c;
        const e2 = X[x2 + l] - c;
        const e3 = X[x3 + l] - c;
        s0 += e0 * e0;
        s1 += e1 * e1;
        s2 += e2 * e2;
        s3 += e3 * e3;
      }
      out[oo + j] = s0;
      out[oo + j + 1] = s1;
      out[oo + j + 2] = s2;
      out[oo + j + 3] = s3;
    }
    for (; j < n; j++) {
      const xo = j * p;
      let s = 0;
      for (let l = 0; l < p; l++) {
        const e = X[xo + l] - centers[vo + l];
        s += e * e;
      }
      out[oo + j] = s;
    }
  }
  return out;
}

/** d2 of every point to the single point `index` (used by k-means++ seeding). */
export function pointDistanceStep(X: Float64Array, n: number, p: number, index: number, out: Float64Array = new Float64Array(n)): Float64Array {
  const co = index * p;
  for (let j = 0, xo = 0; j < n; j++, xo += p) {
    let s = 0;
    for (let l = 0; l < p; l++) {
      const diff = X[xo + l] - X[co + l];
      s += diff * diff;
    }
    out[j] = s;
  }
  return out;
}

/**
 * S[i*p + l] = sum_j w[i*n + j] * X[j*p + l] (the CSP half of the center step). Points are
 * taken four at a time (about 2.5x faster in V8), so sums are grouped in fours: a
 * reimplementation matches to rounding, not bit for bit.
 */
export function weightedSumStep(X: Float64Array, n: number, p: number, w: Float64Array, k: number, out: Float64Array = new Float64Array(k * p)): Float64Array {
  out.fill(0);
  for (let i = 0; i < k; i++) {
    const so = i * p;
    const wo = i * n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const w0 = w[wo + j];
      const w1 = w[wo + j + 1];
      const w2 = w[wo + j + 2];
      const w3 = w[wo + j + 3];
      const x0 = j * p;
      const x1 = x0 + p;
      const x2 = x1 + p;
      const x3 = x2 + p;
      for (let l = 0; l < p; l++) out[so + l] += w0 * X[x0 + l] + w1 * X[x1 + l] + w2 * X[x2 + l] + w3 * X[x3 + l];
    }
    for (; j < n; j++) {
      const wij = w[wo + j];
      const xo = j * p;
      for (let l = 0; l < p; l++) out[so + l] += wij * X[xo + l];
    }
  }
  return out;
}

/** T[i] = sum_j w[i*n + j]. */
export function weightTotals(w: Float64Array, k: number, n: number, out: Float64Array = new Float64Array(k)): Float64Array {
  for (let i = 0; i < k; i++) {
    let s = 0;
    const o = i * n;
    for (let j = 0; j < n; j++) s += w[o + j];
    out[i] = s;
  }
  return out;
}

/**
 * v_i = S_i / T_i (the key-holder half of the center step). A cluster with zero total weight
 * keeps its previous center (from `previous`) instead of becoming NaN.
 */
export function centersFromSums(
  sums: Float64Array,
  totals: Float64Array,
  k: number,
  p: number,
  previous?: Float64Array,
  out: Float64Array = new Float64Array(k * p),
): Float64Array {
  for (let i = 0; i < k; i++) {
    const T = totals[i];
    const o = i * p;
    if (T > 0) {
      const inv = 1 / T;
      for (let l = 0; l < p; l++) out[o + l] = sums[o + l] * inv;
    } else if (previous) {
      for (let l = 0; l < p; l++) out[o + l] = previous[o + l];
    } else {
      for (let l = 0; l < p; l++) out[o + l] = 0;
    }
  }
  return out;
}

/** The whole center step in one process: v_i = sum_j w_ij x_j / sum_j w_ij. */
export function centerStep(X: Float64Array, n: number, p: number, w: Float64Array, k: number, previous?: Float64Array): Float64Array {
  return centersFromSums(weightedSumStep(X, n, p, w, k), weightTotals(w, k, n), k, p, previous);
}

/**
 * x^e with the exponents the defaults use special-cased (Math.pow is the hot spot otherwise):
 * 2 and 1 (m = mt = 2; m = 1.5 gives 1/(m-1) = 2) and 1.5 (u^m at m = 1.5).
 */
function powFast(x: number, e: number): number {
  return e === 2 ? x * x : e === 1 ? x : e === 1.5 ? x * Math.sqrt(x) : Math.pow(x, e);
}

/**
 * Fuzzy c-means memberships (Bezdek): u_ij = 1 / sum_l (d2_ij / d2_lj)^(1/(m-1)),
 * computed relative to the nearest center for stability. A point sitting on centers
 * (d2 = 0) is shared equally by those centers. Negative d2 (approximate arithmetic, e.g.
 * CKKS noise) is treated as 0. With `w` given, also writes the FCM center weights
 * w_ij = omega_j u_ij^m (omega = `pointWeights`, default 1).
 */
export function fcmMembershipStep(
  d2: Float64Array,
  k: number,
  n: number,
  m: number,
  u: Float64Array = new Float64Array(k * n),
  pointWeights?: Float64Array,
  w?: Float64Array,
): Float64Array {
  fcmPasses(d2, k, n, m, u, w, pointWeights);
  return u;
}

/** Only the FCM center weights w_ij = omega_j u_ij^m (what the FCM iteration needs). */
export function fcmWeightStep(
  d2: Float64Array,
  k: number,
  n: number,
  m: number,
  w: Float64Array = new Float64Array(k * n),
  pointWeights?: Float64Array,
): Float64Array {
  fcmPasses(d2, k, n, m, undefined, w, pointWeights);
  return w;
}

function fcmPasses(
  d2: Float64Array,
  k: number,
  n: number,
  m: number,
  u: Float64Array | undefined,
  w: Float64Array | undefined,
  pointWeights: Float64Array | undefined,
): void {
  const e = 1 / (m - 1);
  const kn = k * n;
  // Pass 1, point by point: nearest distance and normaliser (as in membershipStep).
  const dmin = new Float64Array(n);
  const norm = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let lo = Infinity;
    for (let idx = j; idx < kn; idx += n) if (d2[idx] < lo) lo = d2[idx];
    let s = 0;
    if (lo > 0) {
      for (let idx = j; idx < kn; idx += n) s += powFast(lo / d2[idx], e);
    } else {
      lo = 0;
      for (let idx = j; idx < kn; idx += n) if (!(d2[idx] > 0)) s++;
    }
    dmin[j] = lo;
    norm[j] = 1 / s;
  }
  // Pass 2, cluster by cluster (m = 2 without point weights: its own branch-free loop).
  const plain = m === 2 && !pointWeights;
  for (let i = 0; i < k; i++) {
    const o = i * n;
    if (plain) {
      for (let j = 0; j < n; j++) {
        const d = d2[o + j];
        const lo = dmin[j];
        const uij = lo > 0 ? (lo / d) * norm[j] : d > 0 ? 0 : norm[j];
        if (u) u[o + j] = uij;
        if (w) w[o + j] = uij * uij;
      }
      continue;
    }
    for (let j = 0; j < n; j++) {
      const d = d2[o + j];
      const lo = dmin[j];
      const uij = lo > 0 ? powFast(lo / d, e) * norm[j] : d > 0 ? 0 : norm[j];
      if (u) u[o + j] = uij;
      if (w) w[o + j] = (pointWeights ? pointWeights[j] : 1) * powFast(uij, m);
    }
  }
}

/**
 * Possibilistic typicality (Krishnapuram-Keller; PFCM form with weight b):
 * t_ij = 1 / (1 + (b d2_ij / eta_i)^(1/(mt-1))).
 */
export function typicalityStep(
  d2: Float64Array,
  k: number,
  n: number,
  eta: Float64Array,
  mt: number,
  b = 1,
  t: Float64Array = new Float64Array(k * n),
): Float64Array {
  const e = 1 / (mt - 1);
  for (let i = 0; i < k; i++) {
    const scale = b / eta[i];
    const o = i * n;
    for (let j = 0; j < n; j++) {
      const r = d2[o + j] > 0 ? d2[o + j] * scale : 0; // same rounding as membershipStep
      t[o + j] = 1 / (1 + powFast(r, e));
    }
  }
  return t;
}

/** Parameters of the membership step (possibilistic fuzzy c-means, Pal-Pal-Keller-Bezdek 2005). */
export interface MembershipParams {
  /** Fuzzifier of the fuzzy (probabilistic) memberships u, > 1. */
  m: number;
  /** Exponent of the typicalities t (PFCM's eta; here `mt` to avoid a clash with the scales eta_i), > 1. */
  mt: number;
  /** Weight of the fuzzy term a u^m (a = 0: plain PCM, no guard against coincident clusters). */
  a: number;
  /** Weight of the possibilistic term b t^mt (b = 0: plain FCM). */
  b: number;
}

export interface MembershipBuffers {
  /** Fuzzy memberships, k x n, columns sum to 1. */
  u: Float64Array;
  /** Typicalities, k x n, in (0, 1]. */
  t: Float64Array;
  /** Center weights w_ij = omega_j (a u_ij^m + b t_ij^mt), k x n: what the center step sums with. */
  w: Float64Array;
}

export function allocMembershipBuffers(k: number, n: number): MembershipBuffers {
  return { u: new Float64Array(k * n), t: new Float64Array(k * n), w: new Float64Array(k * n) };
}

/**
 * The membership step: from squared distances d2 (k x n) and scales eta (k) compute center
 * weights w, and, when given buffers for them, fuzzy memberships u and typicalities t (inside
 * the iteration only w is needed; skipping u and t saves two thirds of the memory traffic).
 * Returns the PFCM objective
 * J = sum_ij omega_j (a u^m + b t^mt) d2 + sum_i eta_i sum_j omega_j (1 - t_ij)^mt.
 * `pointWeights` (omega, length n) weights points, e.g. previous centers by their mass in
 * incremental mode; omitted = all 1.
 */
export function membershipStep(
  d2: Float64Array,
  k: number,
  n: number,
  eta: Float64Array,
  params: MembershipParams,
  out: Pick<MembershipBuffers, "w"> & Partial<MembershipBuffers>,
  pointWeights?: Float64Array,
): number {
  const { m, mt, a, b } = params;
  const { u, t, w } = out;
  const kn = k * n;
  // The defaults' exponents have loops of their own: m = 2 or 1.5 (1/(m-1) = 1 or 2) with mt = 2.
  const quadratic = (m === 2 || m === 1.5) && mt === 2;
  const eU = 1 / (m - 1);
  const eT = 1 / (mt - 1);
  // Pass 1, point by point: nearest distance and the FCM normaliser 1 / sum_l (dmin/d_l)^eU.
  const dmin = new Float64Array(n);
  const norm = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let lo = Infinity;
    for (let idx = j; idx < kn; idx += n) if (d2[idx] < lo) lo = d2[idx];
    let s = 0;
    if (lo > 0) {
      if (quadratic && m === 2) for (let idx = j; idx < kn; idx += n) s += lo / d2[idx];
      else if (quadratic)
        for (let idx = j; idx < kn; idx += n) {
          const q = lo / d2[idx];
          s += q * q;
        }
      else for (let idx = j; idx < kn; idx += n) s += powFast(lo / d2[idx], eU);
    } else {
      lo = 0; // point on a center: shared by the centers at distance 0
      for (let idx = j; idx < kn; idx += n) if (!(d2[idx] > 0)) s++;
    }
    dmin[j] = lo;
    norm[j] = 1 / s;
  }
  // Pass 2, cluster by cluster (contiguous rows). The default m = mt = 2 without point
  // weights has its own loop: no Math.pow and no branches (about 30% faster).
  if (quadratic && !pointWeights) return quadraticPass(d2, k, n, eta, a, b, m === 1.5, dmin, norm, w, u, t);
  let J = 0;
  for (let i = 0; i < k; i++) {
    const o = i * n;
    const scale = b / eta[i];
    const etaI = eta[i];
    for (let j = 0; j < n; j++) {
      const raw = d2[o + j];
      const d = raw > 0 ? raw : 0;
      const lo = dmin[j];
      const uij = lo > 0 ? powFast(lo / d, eU) * norm[j] : d > 0 ? 0 : norm[j];
      const omega = pointWeights ? pointWeights[j] : 1;
      const tij = 1 / (1 + powFast(d * scale, eT));
      const wij = omega * (a * powFast(uij, m) + b * powFast(tij, mt));
      if (u) u[o + j] = uij;
      if (t) t[o + j] = tij;
      w[o + j] = wij;
      J += wij * d + omega * etaI * powFast(1 - tij, mt);
    }
  }
  return J;
}

function quadraticPass(
  d2: Float64Array,
  k: number,
  n: number,
  eta: Float64Array,
  a: number,
  b: number,
  /** m = 1.5: u = (dmin/d)^2 / sum, u^m = u sqrt(u); else m = 2: u = (dmin/d) / sum, u^m = u^2. */
  m15: boolean,
  dmin: Float64Array,
  norm: Float64Array,
  w: Float64Array,
  u: Float64Array | undefined,
  t: Float64Array | undefined,
): number {
  let J = 0;
  for (let i = 0; i < k; i++) {
    const o = i * n;
    const scale = b / eta[i];
    const etaI = eta[i];
    for (let j = 0; j < n; j++) {
      const raw = d2[o + j];
      const d = raw > 0 ? raw : 0;
      const lo = dmin[j];
      const q = lo / d;
      const uij = lo > 0 ? (m15 ? q * q : q) * norm[j] : d > 0 ? 0 : norm[j];
      const tij = 1 / (1 + d * scale);
      const wij = a * (m15 ? uij * Math.sqrt(uij) : uij * uij) + b * tij * tij;
      const r = 1 - tij;
      w[o + j] = wij;
      if (u) u[o + j] = uij;
      if (t) t[o + j] = tij;
      J += wij * d + etaI * r * r;
    }
  }
  return J;
}

/**
 * Scale step (Krishnapuram-Keller): eta_i = K sum_j omega_j u_ij^m d2_ij / sum_j omega_j u_ij^m,
 * usually from the fuzzy memberships of the FCM initialisation. Floored so a cluster that owns a single point does not get eta = 0.
 */
export function etaStep(
  d2: Float64Array,
  u: Float64Array,
  k: number,
  n: number,
  m: number,
  K: number,
  pointWeights?: Float64Array,
  out: Float64Array = new Float64Array(k),
): Float64Array {
  let meanEta = 0;
  for (let i = 0; i < k; i++) {
    let num = 0;
    let den = 0;
    const o = i * n;
    for (let j = 0; j < n; j++) {
      const wm = (pointWeights ? pointWeights[j] : 1) * powFast(u[o + j], m);
      num += wm * (d2[o + j] > 0 ? d2[o + j] : 0);
      den += wm;
    }
    out[i] = den > 0 ? (K * num) / den : 0;
    meanEta += out[i] / k;
  }
  const floor = meanEta > 0 ? meanEta * 1e-9 : 1e-12;
  for (let i = 0; i < k; i++) if (!(out[i] > floor)) out[i] = floor;
  return out;
}

/** labels[j] = argmax_i M[i*n + j] (first maximum wins). */
export function argmaxLabels(M: Float64Array, k: number, n: number, out: Int32Array = new Int32Array(n)): Int32Array {
  for (let j = 0; j < n; j++) {
    let best = 0;
    let bestVal = M[j];
    for (let i = 1; i < k; i++) {
      const v = M[i * n + j];
      if (v > bestVal) {
        bestVal = v;
        best = i;
      }
    }
    out[j] = best;
  }
  return out;
}

/** Hard labels by the chosen rule: argmax over clusters of u, t or w (see HopcmOptions.labelBy). */
export function labelsFor(rule: LabelRule, bufs: { u: Float64Array; t: Float64Array; w: Float64Array }, k: number, n: number): Int32Array {
  const M = rule === "typicality" ? bufs.t : rule === "membership" ? bufs.u : bufs.w;
  return argmaxLabels(M, k, n);
}
