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
 *   - fuzzy memberships as FCM's with m = 1.5 on a regularised distance: u_ij = r_ij^2 / R_j,
 *     R_j = sum_c r_cj^2, r_ij = 1 / (1 + d2_ij / s), s = S x the mean squared distance (an
 *     aggregate); m = 2 (u = r / R) is an option. Plain PCM, the first design, collapses to one
 *     cluster on WDBC (ARI 0, hopcm.ts), so the fuzzy term stays;
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
  /** Centers to start the fuzzy phase from (k x p, the key holder's: aggregates of an earlier run), instead of seeding. */
  initial?: Float64Array;
  /** The records each draw seeds with (k indices per draw); drawn uniformly from `seed` by default. */
  seedIndices?: number[][];
  /** Fuzzy term's weight a and typicality's b (PFCM). Defaults 1 and 4. */
  a?: number;
  b?: number;
  /** eta_i = K sum w d2 / sum w after the fuzzy phase. Default 0.5. */
  K?: number;
  /** The regularising scale s = S * mean d2. Default 0.1. */
  S?: number;
  /** The memberships' fuzzifier: u_ij proportional to r_ij^(1 / (m - 1)): 1.5 (r^2, the default, as HoPCM's m) or 2 (r). The weights' exponent stays 2. */
  m?: 2 | 1.5;
  /** Seedings tried; the lowest fuzzy objective wins. Default 3. */
  draws?: number;
  maxIter?: number;
  eps?: number;
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

/** The geometric series' order for an interval (0, top]: q = ceil(log2 top) + extra. */
export function geometricOrder(top: number, extra = 2): number {
  return Math.max(1, Math.ceil(Math.log2(top)) + extra);
}

/**
 * The functions as the CSP evaluates them: 1 / (1 + x) for x in [0, top] as the geometric inverse of
 * z = (1 + x) / (1 + top), and 1 / x for x in (0, top] as that of z = x / top with an interval 64 times
 * wider for the series' order (the sum of k memberships falls well below k near no center).
 */
export function geometricFunctions(extra = 2): BlindFunctions {
  return {
    inv1p: (x, top) => geometricInverse((1 + x) / (1 + top), geometricOrder(1 + top, extra)) / (1 + top),
    inv: (x, top) => geometricInverse(x / top, geometricOrder(top * 64, extra)) / top,
  };
}

export const exactFunctions: BlindFunctions = { inv1p: (x) => 1 / (1 + x), inv: (x) => 1 / x };

/** What one step needs besides the centers: the scales the key holder chose from aggregates. */
export interface StepScales {
  /** The regularising scale s of the fuzzy memberships. */
  s: number;
  /** Per cluster eta_i (possibilistic phase), or null (fuzzy phase: no typicality term). */
  eta: Float64Array | null;
  a: number;
  b: number;
  /** The public bound of every squared distance (4 p clip^2). */
  D: number;
  /** The memberships' fuzzifier: u_ij proportional to r_ij^(1 / (m - 1)), 2 or 1.5. */
  m: 2 | 1.5;
}

/**
 * The party that holds the records (the CSP, or a plaintext stand-in). The controller, at the key
 * holder, sees only what these return: aggregates.
 */
export interface BlindBackend {
  readonly n: number;
  readonly p: number;
  readonly k: number;
  /** Centers for the next step: the records at these indices (seeding), or centers from aggregates. Returns the mean squared distance to them. */
  distances(centers: { seeds: number[] } | { values: Float64Array }): number;
  /** Weights of this step and their aggregates, per cluster [sum w x (p), sum w, sum w d2]: k x (p + 2). */
  aggregate(scales: StepScales): Float64Array;
  /** Each record's nearest center, for the centers of the last `distances`. */
  nearest(): Int32Array;
}

/** The plaintext stand-in: what the CSP computes, on the clipped records in the clear. */
export function plaintextBlindBackend(Xin: Float64Array, n: number, p: number, k: number, clip = 3, f: BlindFunctions = geometricFunctions()): BlindBackend {
  const X = Float64Array.from(Xin, (x) => Math.max(-clip, Math.min(clip, x)));
  const d2 = new Float64Array(k * n);
  const w = new Float64Array(k * n);
  return {
    n,
    p,
    k,
    distances(centers) {
      const v = "seeds" in centers ? Float64Array.from({ length: k * p }, (_, q) => X[centers.seeds[Math.floor(q / p)] * p + (q % p)]) : centers.values;
      distanceStep(X, n, p, v, k, d2);
      let mean = 0;
      for (let q = 0; q < k * n; q++) mean += d2[q] / (k * n);
      return mean;
    },
    aggregate({ s, eta, a, b, D, m }) {
      const rr = new Float64Array(k); // a record's r (r^2 at m = 1.5) to each center
      for (let j = 0; j < n; j++) {
        let R = 0;
        for (let i = 0; i < k; i++) {
          const r = f.inv1p(d2[i * n + j] / s, D / s);
          rr[i] = m === 1.5 ? r * r : r;
          R += rr[i];
        }
        const invR = f.inv(R, k);
        for (let i = 0; i < k; i++) {
          const u = rr[i] * invR;
          let weight = a * u * u;
          if (eta) {
            const t = f.inv1p((b * d2[i * n + j]) / eta[i], (b * D) / eta[i]);
            weight += b * t * t;
          }
          w[i * n + j] = weight;
        }
      }
      const sums = new Float64Array(k * (p + 2));
      for (let i = 0; i < k; i++)
        for (let j = 0; j < n; j++) {
          const wij = w[i * n + j];
          sums[i * (p + 2) + p] += wij;
          sums[i * (p + 2) + p + 1] += wij * d2[i * n + j];
          for (let l = 0; l < p; l++) sums[i * (p + 2) + l] += wij * X[j * p + l];
        }
      return sums;
    },
    nearest() {
      const labels = new Int32Array(n);
      for (let j = 0; j < n; j++) {
        let best = 0;
        for (let i = 1; i < k; i++) if (d2[i * n + j] < d2[best * n + j]) best = i;
        labels[j] = best;
      }
      return labels;
    },
  };
}

/** The seedings: `draws` sets of k distinct record indices, drawn uniformly by the CSP from its seed. */
export function drawSeeds(n: number, k: number, draws: number, seed: number, given?: number[][]): number[][] {
  const rng = mulberry32(seed);
  return Array.from({ length: draws }, (_, draw) => {
    const picks = new Set<number>(given?.[draw]);
    while (picks.size < k) picks.add(Math.floor(rng() * n));
    return [...picks];
  });
}

export interface BlindResult {
  labels: Int32Array;
  centers: Float64Array;
  eta: Float64Array;
  iterations: number;
  /**
   * Everything the key holder decrypts, per step: the mean squared distance (for s) and, per
   * cluster, the p weighted sums, the weight total and sum w d2 (`sums`, k x (p + 2)); aggregates
   * only. `centers` are the ones it computed for the step (null for a seeding: it never sees the
   * seed records); the objective and the shift it computes itself.
   */
  trace: Array<{ centers: Float64Array | null; meanD2: number; sums: Float64Array; objective: number; shift: number }>;
}

/** The blind algorithm on plaintext records (the reference). */
export function blindCluster(X: Float64Array, n: number, p: number, options: BlindOptions): BlindResult {
  return runBlind(plaintextBlindBackend(X, n, p, options.k, options.clip ?? 3, options.approx ?? geometricFunctions()), options);
}

/** What the controller asks of the party holding the records, one request at a time. */
export type BlindRequest =
  { kind: "distances"; from: { seeds: number[] } | { values: Float64Array } } | { kind: "aggregate"; scales: StepScales } | { kind: "nearest" };
// The answers: the mean squared distance, the k x (p + 2) aggregates, the labels.

/**
 * The controller as a generator: it yields requests and is resumed with their answers, so it can
 * run where the answers are decrypted (the key holder's service) while the records' party drives
 * the steps from elsewhere (lib/hopcm/encrypted/blind/session.ts). `runBlind` drives it over a
 * backend in one process.
 */
type Answer = number | Float64Array | Int32Array;
type Step = { next: Float64Array; sums: Float64Array; objective: number; shift: number };

export function* blindController(n: number, p: number, k: number, options: BlindOptions): Generator<BlindRequest, BlindResult, Answer> {
  const clip = options.clip ?? 3;
  const D = 4 * p * clip * clip;
  const a = options.a ?? 1;
  const b = options.b ?? 4;
  const K = options.K ?? 0.5;
  const S = options.S ?? 0.1;
  const m = options.m ?? 1.5;
  const maxIter = options.maxIter ?? 100;
  const eps = options.eps ?? 1e-4;
  const trace: BlindResult["trace"] = [];
  let iterations = 0;

  /** One step from `from` (seeds or centers); returns the new centers and what the key holder saw. */
  function* step(from: { seeds: number[] } | { values: Float64Array }, eta: Float64Array | null): Generator<BlindRequest, Step, Answer> {
    const meanD2 = (yield { kind: "distances", from }) as number;
    const sums = (yield { kind: "aggregate", scales: { s: S * meanD2, eta, a, b, D, m } }) as Float64Array;
    const previous = "values" in from ? from.values : null;
    const next = new Float64Array(k * p);
    let objective = 0;
    let shift = previous ? 0 : Infinity;
    for (let i = 0; i < k; i++) {
      const W = sums[i * (p + 2) + p];
      objective += sums[i * (p + 2) + p + 1];
      for (let l = 0; l < p; l++) {
        // an empty cluster keeps its center (at a seeding it has none to keep: the first record's)
        next[i * p + l] = W > 0 ? sums[i * (p + 2) + l] / W : (previous?.[i * p + l] ?? 0);
        if (previous) shift += (next[i * p + l] - previous[i * p + l]) ** 2;
      }
    }
    iterations++;
    trace.push({ centers: previous, meanD2, sums, objective, shift });
    return { next, sums, objective, shift };
  }
  function* run(v: Float64Array, eta: Float64Array | null): Generator<BlindRequest, Step, Answer> {
    let last = yield* step({ values: v }, eta);
    for (let it = 1; it < maxIter && last.shift >= eps * eps; it++) last = yield* step({ values: last.next }, eta);
    return last;
  }

  // fuzzy phase from each seeding; the lowest objective wins
  let best: { v: Float64Array; objective: number } | null = null;
  const starts: Array<{ seeds: number[] } | { values: Float64Array }> = options.initial
    ? [{ values: options.initial }]
    : drawSeeds(n, k, options.draws ?? 3, options.seed ?? 42, options.seedIndices).map((seeds) => ({ seeds }));
  for (const from of starts) {
    const first = yield* step(from, null);
    const last = maxIter > 1 && first.shift >= eps * eps ? yield* run(first.next, null) : first;
    if (!best || last.objective < best.objective) best = { v: last.next, objective: last.objective };
  }
  // eta from one more fuzzy step's aggregates: K sum w d2 / sum w
  const etaStep = yield* step({ values: best!.v }, null);
  const eta = Float64Array.from({ length: k }, (_, i) => {
    const W = etaStep.sums[i * (p + 2) + p];
    return W > 0 ? (K * etaStep.sums[i * (p + 2) + p + 1]) / W : 1;
  });
  const last = yield* run(etaStep.next, eta);
  yield { kind: "distances", from: { values: last.next } };
  const labels = (yield { kind: "nearest" }) as Int32Array;
  return { labels, centers: last.next, eta, iterations, trace };
}

/** The controller: the key holder's side of the algorithm, over any backend. */
export function runBlind(backend: BlindBackend, options: BlindOptions): BlindResult {
  const control = blindController(backend.n, backend.p, backend.k, options);
  let next = control.next();
  while (!next.done) {
    const request = next.value;
    next = control.next(
      request.kind === "distances" ? backend.distances(request.from) : request.kind === "aggregate" ? backend.aggregate(request.scales) : backend.nearest(),
    );
  }
  return next.value;
}
