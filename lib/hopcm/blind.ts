/**
 * The blind clustering algorithm (issue #14), plaintext reference: what the blind protocol is to
 * compute under encryption, written so that every per-record step is a function the CSP can
 * evaluate on CKKS ciphertexts (products and sums only) and every decision is taken from
 * aggregates the key holder may see (k x p weighted sums, k weight totals, the objective, the
 * center shift, eta). Not yet run under encryption: docs/design/blind-clustering.md, "The
 * algorithm", says what is built and what is not.
 *
 * Differences from HoPCM (lib/hopcm/hopcm.ts), each forced by the protocol:
 *   - the hospital clips z-scores to [-clip, clip], so every squared distance is at most
 *     D = 4 p clip^2: the bound every polynomial below is sized by (a polynomial explodes beyond
 *     the interval it was made for, and the CSP cannot look at a value to clip it);
 *   - seeding: k records drawn uniformly, `draws` times, the lowest fuzzy objective kept (the
 *     CSP picks indices; k-means++'s D^2 sampling would need the distances in the clear);
 *   - fuzzy memberships with m = 2 on a regularised distance: u_ij = r_ij / R_j, R_j = sum_c r_cj,
 *     r_ij = 1 / (1 + d2_ij / s), s = S x the mean squared distance (an aggregate). Plain PCM, the
 *     first design, collapses to one cluster on WDBC (ARI 0, hopcm.ts), so the fuzzy term stays;
 *   - typicality t_ij = 1 / (1 + b d2_ij / eta_i), weights w_ij = a u_ij^2 + b t_ij^2 (PFCM, mt = 2);
 *   - every inverse is the truncated geometric series of `geometricInverse` (q levels, 2q
 *     products, exact to (1 - z)^(2^q) and never exploding on its interval), q sized from the
 *     public bound;
 *   - labels: the nearest center (argmin d2; in the protocol k masked values per record).
 */
import { mulberry32 } from "./prng";
import { distanceStep } from "./steps";

export interface BlindOptions {
  k: number;
  seed?: number;
  /** The records each draw seeds with (k indices per draw); drawn uniformly from `seed` by default. */
  seedIndices?: number[][];
  /** Fuzzy term's weight a and typicality's b (PFCM). Defaults 1 and 4. */
  a?: number;
  b?: number;
  /** eta_i = K sum w d2 / sum w after the fuzzy phase. Default 0.5. */
  K?: number;
  /** The regularising scale s = S * mean d2. Default 0.03. */
  S?: number;
  /** Seedings tried; the lowest fuzzy objective wins. Default 3. */
  draws?: number;
  maxIter?: number;
  eps?: number;
  /** In the possibilistic phase, the fuzzy memberships from the typicalities (u_ij = t_ij / sum_c t_cj): one series per cluster instead of two. */
  shared?: boolean;
  /** z-scores are clipped to [-clip, clip] by the hospital, so every squared distance is at most 4 p clip^2: the bound the functions are sized by. Default 3. */
  clip?: number;
  /** Functions the CSP evaluates: by default the geometric series it evaluates (`geometricFunctions(2)`); `exactFunctions` for comparison. */
  approx?: BlindFunctions;
}

/** The per-record nonlinear functions, as the CSP evaluates them. */
export interface BlindFunctions {
  /** 1 / (1 + x) for x >= 0; `top` bounds x (known to both parties). */
  inv1p(x: number, top: number): number;
  /** 1 / x for x in (0, top]. */
  inv(x: number, top: number): number;
}

/**
 * The truncated geometric series: 1/z ~ sum_{m < 2^q} (1 - z)^m = (1 - (1 - z)^(2^q)) / z for z in
 * (0, 1], computed under encryption as prod_{i < q} (1 + e^(2^i)) with e = 1 - z: q levels, 2q products,
 * no interval beyond which it explodes as long as z stays in (0, 2). Exact where (1 - z)^(2^q) is
 * negligible, flattening to 2^q as z -> 0 (a kernel that saturates near the center instead of at 1).
 */
export function geometricInverse(z: number, q: number): number {
  const e = 1 - z;
  return z === 0 ? 2 ** q : (1 - e ** (2 ** q)) / z;
}

/** The geometric series sized by the bound: inv1p with 1 + x scaled into (0, 1], q = log2(top) + extra. */
export function geometricFunctions(extra = 1): BlindFunctions {
  const q = (top: number) => Math.max(1, Math.ceil(Math.log2(top)) + extra);
  return {
    inv1p: (x, top) => geometricInverse((1 + x) / (1 + top), q(1 + top)) / (1 + top),
    inv: (x, top) => geometricInverse(x / top, q(top * 64)) / top,
  };
}

export const exactFunctions: BlindFunctions = { inv1p: (x) => 1 / (1 + x), inv: (x) => 1 / x };

export interface BlindResult {
  labels: Int32Array;
  centers: Float64Array;
  eta: Float64Array;
  iterations: number;
  /**
   * Everything the key holder decrypts, per step: the mean squared distance (for s) and, per
   * cluster, the p weighted sums, the weight total and sum w d2 (`sums`, k x (p + 2)); aggregates
   * only. The objective (the sum of the last) and the center shift it computes itself.
   */
  trace: Array<{ centers: Float64Array; meanD2: number; sums: Float64Array; objective: number; shift: number }>;
  /** The largest arguments of the series and the smallest inverted sum (the approximations' intervals). */
  stats: { maxX: number; maxT: number; minR: number };
}

export function blindCluster(Xin: Float64Array, n: number, p: number, options: BlindOptions): BlindResult {
  const { k } = options;
  const clip = options.clip ?? 3;
  const X = Float64Array.from(Xin, (x) => Math.max(-clip, Math.min(clip, x)));
  const D = 4 * p * clip * clip;
  const a = options.a ?? 1;
  const b = options.b ?? 4;
  const K = options.K ?? 0.5;
  const S = options.S ?? 0.03;
  const draws = options.draws ?? 3;
  const maxIter = options.maxIter ?? 100;
  const eps = options.eps ?? 1e-4;
  const f = options.approx ?? geometricFunctions(2);
  const rng = mulberry32(options.seed ?? 42);
  const d2 = new Float64Array(k * n);
  const w = new Float64Array(k * n);
  const trace: BlindResult["trace"] = [];
  let iterations = 0;
  const stats = { maxX: 0, maxT: 0, minR: Infinity };

  /** One step: distances, weights, new centers from the aggregates; returns the objective and shift. */
  const step = (v: Float64Array, eta: Float64Array | null) => {
    const centers = v.slice();
    distanceStep(X, n, p, v, k, d2);
    let mean = 0;
    for (let q = 0; q < k * n; q++) mean += d2[q] / (k * n);
    const s = S * mean;
    for (let j = 0; j < n; j++) {
      const fromT = eta && options.shared;
      const r = (i: number) => (fromT ? f.inv1p((b * d2[i * n + j]) / eta[i], (b * D) / eta[i]) : f.inv1p(d2[i * n + j] / s, D / s));
      let R = 0;
      for (let i = 0; i < k; i++) R += r(i);
      const invR = f.inv(R, k);
      for (let i = 0; i < k; i++) {
        if (!fromT) stats.maxX = Math.max(stats.maxX, d2[i * n + j] / s);
        const u = r(i) * invR;
        let weight = a * u * u;
        if (eta) {
          const t = f.inv1p((b * d2[i * n + j]) / eta[i], (b * D) / eta[i]);
          stats.maxT = Math.max(stats.maxT, (b * d2[i * n + j]) / eta[i]);
          weight += b * t * t;
        }
        w[i * n + j] = weight;
      }
      stats.minR = Math.min(stats.minR, R);
    }
    // aggregates: S_i, W_i, E_i (what the key holder decrypts)
    const sums = new Float64Array(k * (p + 2));
    let objective = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < n; j++) {
        const wij = w[i * n + j];
        sums[i * (p + 2) + p] += wij;
        sums[i * (p + 2) + p + 1] += wij * d2[i * n + j];
        for (let l = 0; l < p; l++) sums[i * (p + 2) + l] += wij * X[j * p + l];
      }
      objective += sums[i * (p + 2) + p + 1];
    }
    // the key holder's part: centers from the aggregates
    let shift = 0;
    for (let i = 0; i < k; i++) {
      const W = sums[i * (p + 2) + p];
      for (let l = 0; l < p; l++) {
        const next = W > 0 ? sums[i * (p + 2) + l] / W : v[i * p + l];
        shift += (next - v[i * p + l]) ** 2;
        v[i * p + l] = next;
      }
    }
    return { centers, meanD2: mean, sums, objective, shift };
  };

  const run = (v: Float64Array, eta: Float64Array | null) => {
    let last: ReturnType<typeof step> | null = null;
    for (let it = 0; it < maxIter; it++) {
      last = step(v, eta);
      iterations++;
      trace.push(last);
      if (last.shift < eps * eps) break;
    }
    return last!;
  };

  // fuzzy phase from `draws` uniform seedings; the lowest objective wins
  let best: { v: Float64Array; objective: number } | null = null;
  for (let draw = 0; draw < draws; draw++) {
    const picks = new Set<number>(options.seedIndices?.[draw]);
    while (picks.size < k) picks.add(Math.floor(rng() * n));
    const v = new Float64Array(k * p);
    [...picks].forEach((j, i) => v.set(X.subarray(j * p, (j + 1) * p), i * p));
    const { objective } = run(v, null);
    if (!best || objective < best.objective) best = { v, objective };
  }
  const v = best!.v;
  // eta from one more fuzzy step's aggregates: K sum w d2 / sum w
  const last = step(v, null);
  iterations++;
  trace.push(last);
  const eta = Float64Array.from({ length: k }, (_, i) => {
    const W = last.sums[i * (p + 2) + p];
    return W > 0 ? (K * last.sums[i * (p + 2) + p + 1]) / W : 1;
  });
  run(v, eta);
  distanceStep(X, n, p, v, k, d2);
  const labels = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let best = 0;
    for (let i = 1; i < k; i++) if (d2[i * n + j] < d2[best * n + j]) best = i;
    labels[j] = best;
  }
  return { labels, centers: v, eta, iterations, trace, stats };
}
