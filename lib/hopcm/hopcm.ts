/**
 * HoPCM: high-order possibilistic c-means, plaintext reference.
 *
 * The algorithm is written once, as a coordinator that never touches the data: it asks a
 * backend for distances and weighted sums and does everything nonlinear itself. In the
 * encrypted protocol the backend is the CSP working on CKKS ciphertexts and the coordinator
 * runs at the key holder; here `plaintextBackend` answers from a Float64Array. Both drive the
 * same generator, so an encrypted run that answers within rounding makes the same decisions.
 *
 * Iteration (possibilistic fuzzy c-means, PFCM: Pal, Pal, Keller & Bezdek 2005, with
 * Krishnapuram-Keller scales):
 *   1. seeding: k-means++ (D^2 sampling, seeded PRNG) on point-to-point distances;
 *   2. FCM initialisation: u from d2, v = sum u^m x / sum u^m, until centers settle;
 *   3. scales: eta_i = K sum u^m d2 / sum u^m (then fixed);
 *   4. PFCM: u as FCM, t_ij = 1/(1 + (b d2_ij/eta_i)^(1/(mt-1))), w_ij = a u_ij^m + b t_ij^mt,
 *      v_i = sum_j w_ij x_j / sum_j w_ij, until the largest center shift < eps;
 *   5. labels: argmax_i w_ij (the combined membership; see `labelBy`).
 *
 * Guard against coincident clusters. Plain PCM (a = 0) lets every center slide to the
 * densest mode: on z-scored WDBC it ends with one cluster, ARI 0. Three layers:
 *   - the fuzzy term a u^m, whose memberships sum to 1 over clusters, pulls centers apart;
 *   - after step 2, clusters FCM left coincident or empty are re-seeded (D^2 sampling); if
 *     that keeps failing, FCM's m is lowered (FCM flattens out in many dimensions);
 *   - after step 4, if centers that FCM kept apart have merged, the eta of those clusters is
 *     halved and step 4 restarts from the FCM centers (eta -> 0 turns PFCM into FCM).
 * Every decision is taken from distances, weights and centers, so it replays identically in
 * the encrypted protocol.
 *
 * Defaults (m = 1.5, mt = 2, a = 1, b = 4, K = 0.5, three k-means++ draws for the FCM
 * initialisation, labels by combined membership): first chosen on WDBC and seeded synthetic
 * data (m = 2, K = 1, one draw), then measured on iris, Palmer penguins and cars from npm
 * packages (docs/BENCHMARKS.md, "Quality on more public data"): one draw inherited FCM's worse
 * local optima (penguins 0.68 against k-means 0.79), and the wide eta of m = 2, K = 1 pulled
 * centers towards the densest modes; the lowest FCM objective of three draws and a tighter
 * eta score 0.81 there and at least FCM and k-means on WDBC and iris, in fewer iterations.
 * b > a lets typicality dominate the prototypes (less pull from outliers) and sharpens
 * typicality (effective scale eta/b), which keeps clusters from merging. Typicality itself is
 * a poor label in many dimensions: argmax_i t_ij compares d2/eta_i across clusters of
 * different spread, and the broader cluster claims most points (WDBC: ARI 0.50).
 */
import { mulberry32, sampleWeighted } from "./prng";
import {
  allocMembershipBuffers,
  argmaxLabels,
  centersFromSums,
  distanceStep,
  etaStep,
  fcmMembershipStep,
  fcmWeightStep,
  labelsFor,
  membershipStep,
  pointDistanceStep,
  weightTotals,
  weightedSumStep,
  type MembershipParams,
} from "./steps";

/** The guard lowers the fuzzifier m no further than 1 + 2 * this. */
const MIN_FUZZIFIER_EXCESS = 0.05;
import { type HopcmOptions, type ResolvedHopcmOptions, resolveHopcmOptions } from "./options";

export interface HopcmResult {
  k: number;
  n: number;
  p: number;
  /** Final centers, k x p, in the (transformed) feature space. */
  centers: Float64Array;
  /** Typicalities t, k x n. */
  typicality: Float64Array;
  /** Fuzzy memberships u, k x n (columns sum to 1). */
  membership: Float64Array;
  /** Scales eta_i, k. */
  eta: Float64Array;
  /** Cluster of each point: argmax over clusters of `labelBy`. */
  labels: Int32Array;
  /** Cluster mass sum_j omega_j u_ij (the weight of each center in incremental mode). */
  mass: Float64Array;
  /** Center updates in total (FCM initialisation + possibilistic phase, over restarts). */
  iterations: number;
  initIterations: number;
  pcmIterations: number;
  /** PFCM objective at the final centers. */
  objective: number;
  converged: boolean;
  /** Clusters re-seeded because FCM initialisation left them coincident or empty. */
  reseeds: number;
  /** Times the guard lowered the fuzzifier because FCM initialisation collapsed. */
  softenings: number;
  /** The fuzzifier finally used (options.m unless lowered by the guard). */
  m: number;
  /** Times the guard shrank eta of clusters the possibilistic phase pulled together. */
  shrinks: number;
  warnings: string[];
  options: ResolvedHopcmOptions;
}

/* ------------------------------------------------------------------------------------------ */
/* Backend protocol                                                                            */

/** What the coordinator asks of whoever holds the data. */
export type HopcmRequest =
  /** d2 of every point to point `index`, length n (k-means++ seeding, re-seeding). */
  | { kind: "pointDistances"; index: number }
  /** d2 of every point to every center, k x n; `stage`: which phase the centers come from. */
  | { kind: "distances"; centers: Float64Array; k: number; stage: HopcmStage }
  /** sum_j w_ij x_j for every cluster, k x p. */
  | { kind: "weightedSums"; weights: Float64Array; k: number };

export type HopcmReply = Float64Array;

/**
 * Where the coordinator is when it asks for distances: the FCM initialisation from draw `draw`
 * of `draws` (k-means++ draws, options.initRestarts), or the possibilistic phase. For progress
 * and traces; a backend computes the same either way.
 */
export type HopcmStage = {
  phase: "init" | "possibilistic";
  draw: number;
  draws: number;
  /** Possibilistic phase: the PFCM objective J (what the phase minimises) at the centers this request's centers replace. */
  objective?: number;
};

/**
 * A synchronous data holder (the plaintext reference, or a CSP in the same process).
 * The coordinator reads each reply before its next request and never keeps it, so a backend
 * may reuse its output buffers.
 */
export interface HopcmBackend {
  readonly n: number;
  readonly p: number;
  pointDistances(index: number): Float64Array;
  distances(centers: Float64Array, k: number): Float64Array;
  weightedSums(weights: Float64Array, k: number): Float64Array;
}

/** The same, possibly remote (e.g. the CSP computing on CKKS ciphertexts). */
export interface AsyncHopcmBackend {
  readonly n: number;
  readonly p: number;
  pointDistances(index: number): Float64Array | Promise<Float64Array>;
  distances(centers: Float64Array, k: number, stage?: HopcmStage): Float64Array | Promise<Float64Array>;
  weightedSums(weights: Float64Array, k: number): Float64Array | Promise<Float64Array>;
}

/**
 * Backend over plaintext data X (row-major n x p). Output buffers are reused between
 * requests (the coordinator reads a reply only until its next request).
 */
export function plaintextBackend(X: Float64Array, n: number, p: number): HopcmBackend {
  if (X.length !== n * p) throw new RangeError(`X has ${X.length} values, expected n*p = ${n * p}`);
  const row = new Float64Array(n);
  let d2 = new Float64Array(0);
  let sums = new Float64Array(0);
  return {
    n,
    p,
    pointDistances: (index) => pointDistanceStep(X, n, p, index, row),
    distances: (centers, k) => {
      if (d2.length !== k * n) d2 = new Float64Array(k * n);
      return distanceStep(X, n, p, centers, k, d2);
    },
    weightedSums: (weights, k) => {
      if (sums.length !== k * p) sums = new Float64Array(k * p);
      return weightedSumStep(X, n, p, weights, k, sums);
    },
  };
}

/** One coordinator request answered by a synchronous backend (what `runHopcm` does each step; for drivers that step by hand). */
export function answerRequest(backend: HopcmBackend, req: HopcmRequest): HopcmReply {
  switch (req.kind) {
    case "pointDistances":
      return backend.pointDistances(req.index);
    case "distances":
      return backend.distances(req.centers, req.k);
    case "weightedSums":
      return backend.weightedSums(req.weights, req.k);
  }
}

async function answerAsync(backend: AsyncHopcmBackend, req: HopcmRequest): Promise<HopcmReply> {
  switch (req.kind) {
    case "pointDistances":
      return backend.pointDistances(req.index);
    case "distances":
      return backend.distances(req.centers, req.k, req.stage);
    case "weightedSums":
      return backend.weightedSums(req.weights, req.k);
  }
}

/** Runs HoPCM against a synchronous backend. */
export function runHopcm(backend: HopcmBackend, options: HopcmOptions): HopcmResult {
  const gen = hopcmCoordinator(backend.n, backend.p, options);
  let step = gen.next();
  while (!step.done) step = gen.next(answerRequest(backend, step.value));
  return step.value;
}

/** Runs HoPCM against an asynchronous backend (same decisions as `runHopcm`). */
export async function runHopcmAsync(backend: AsyncHopcmBackend, options: HopcmOptions): Promise<HopcmResult> {
  const gen = hopcmCoordinator(backend.n, backend.p, options);
  let step = gen.next();
  while (!step.done) step = gen.next(await answerAsync(backend, step.value));
  return step.value;
}

/** HoPCM on plaintext data X (row-major n x p). */
export function hopcm(X: Float64Array, n: number, p: number, options: HopcmOptions): HopcmResult {
  return runHopcm(plaintextBackend(X, n, p), options);
}

/* ------------------------------------------------------------------------------------------ */
/* Coordinator                                                                                 */

type Ask<T> = Generator<HopcmRequest, T, HopcmReply>;

function* askDistances(centers: Float64Array, k: number, n: number, stage: HopcmStage): Ask<Float64Array> {
  const d2 = yield { kind: "distances", centers, k, stage };
  if (d2.length !== k * n) throw new RangeError(`distances: expected ${k * n} values, got ${d2.length}`);
  return d2;
}

function* askPointDistances(index: number, n: number): Ask<Float64Array> {
  const d = yield { kind: "pointDistances", index };
  if (d.length !== n) throw new RangeError(`pointDistances: expected ${n} values, got ${d.length}`);
  return d;
}

function* askWeightedSums(weights: Float64Array, k: number, p: number): Ask<Float64Array> {
  const s = yield { kind: "weightedSums", weights, k };
  if (s.length !== k * p) throw new RangeError(`weightedSums: expected ${k * p} values, got ${s.length}`);
  return s;
}

/** Largest squared center shift max_i ||a_i - b_i||^2. */
function maxShift2(a: Float64Array, b: Float64Array, k: number, p: number): number {
  let worst = 0;
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let l = 0; l < p; l++) {
      const d = a[i * p + l] - b[i * p + l];
      s += d * d;
    }
    if (s > worst) worst = s;
  }
  return worst;
}

/** How much lower (relative) a later FCM initialisation's objective must be to be kept instead. */
const RESTART_MARGIN = 1e-3;

/**
 * k-means++ seeding on distances only: picks k points by D^2 sampling (weighted by omega) and
 * returns their distance rows (k x n). The seed points themselves never leave the backend;
 * the first FCM step turns these rows into centers that are weighted means.
 */
function* seedKMeansPlusPlus(n: number, k: number, omega: Float64Array | undefined, rng: () => number): Ask<Float64Array> {
  const d2 = new Float64Array(k * n);
  const minD = new Float64Array(n).fill(Infinity);
  const prob = new Float64Array(n);
  for (let i = 0; i < k; i++) {
    let pick: number;
    if (i === 0) pick = omega ? sampleWeighted(omega, rng) : Math.floor(rng() * n);
    else {
      for (let j = 0; j < n; j++) prob[j] = (omega ? omega[j] : 1) * minD[j];
      pick = sampleWeighted(prob, rng);
    }
    if (pick < 0) pick = Math.floor(rng() * n); // all weight zero: every point sits on a seed
    const row = yield* askPointDistances(pick, n);
    d2.set(row, i * n);
    for (let j = 0; j < n; j++) if (row[j] < minD[j]) minD[j] = row[j];
  }
  return d2;
}

/**
 * The HoPCM coordinator as a generator: yields requests, receives replies, returns the result.
 * Drive it with `runHopcm` / `runHopcmAsync`, or step it by hand in a protocol.
 */
export function* hopcmCoordinator(n: number, p: number, options: HopcmOptions): Generator<HopcmRequest, HopcmResult, HopcmReply> {
  const o = resolveHopcmOptions(options);
  const { k } = o;
  let m = o.m;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`need at least one point, got n = ${n}`);
  if (k > n) throw new RangeError(`k = ${k} exceeds the number of points n = ${n}`);
  const omega = o.pointWeights;
  if (omega && omega.length !== n) throw new RangeError(`pointWeights has ${omega.length} entries, expected ${n}`);
  if (o.initialCenters && o.initialCenters.length !== k * p)
    throw new RangeError(`initialCenters has ${o.initialCenters.length} values, expected k*p = ${k * p}`);

  const rng = mulberry32(o.seed);
  const params: MembershipParams = { m: o.m, mt: o.mt, a: o.a, b: o.b };
  const bufs = allocMembershipBuffers(k, n);
  const fcmW = new Float64Array(k * n);
  const totals = new Float64Array(k);
  const eta = new Float64Array(k);
  const warnings: string[] = [];

  let centers: Float64Array | null = o.initialCenters ? Float64Array.from(o.initialCenters) : null;
  const restarts = o.initialCenters ? 1 : o.initRestarts;
  const stage = (phase: HopcmStage["phase"], draw: number): HopcmStage => ({ phase, draw, draws: restarts });
  let d2 = centers ? yield* askDistances(centers, k, n, stage("init", 1)) : yield* seedKMeansPlusPlus(n, k, omega, rng);
  let seedD2 = Float64Array.from(d2);
  const seedCenters = centers ? Float64Array.from(centers) : null;

  let initIterations = 0;
  let pcmIterations = 0;
  let reseeds = 0;
  let shrinks = 0;
  let softenings = 0;
  let levelReseeds = 0; // re-seeds at the current fuzzifier
  let converged = false;
  let objective = NaN;
  let fcmCollapsed = false;

  // 1-2. FCM initialisation; clusters that FCM itself leaves coincident or empty are re-seeded.
  // With initRestarts > 1, again from new k-means++ draws; the lowest FCM objective is kept (a
  // draw can land FCM in a worse local optimum, which the possibilistic phase inherits).
  let best: { J: number; collapsed: boolean; centers: Float64Array; d2: Float64Array; eta: Float64Array; m: number; warnings: string[] } | null = null;
  for (let restart = 0; restart < restarts; restart++) {
    const restartWarnings: string[] = [];
    if (restart > 0) {
      m = o.m;
      params.m = m;
      levelReseeds = 0;
      fcmCollapsed = false;
      centers = null;
      d2 = yield* seedKMeansPlusPlus(n, k, omega, rng);
      seedD2 = Float64Array.from(d2);
    }
    for (;;) {
      let shifted = Infinity;
      for (let it = 0; it < o.initMaxIter; it++) {
        fcmWeightStep(d2, k, n, m, fcmW, omega);
        const sums = yield* askWeightedSums(fcmW, k, p);
        const next = centersFromSums(sums, weightTotals(fcmW, k, n, totals), k, p, centers ?? undefined);
        shifted = centers ? maxShift2(centers, next, k, p) : Infinity;
        centers = next;
        d2 = yield* askDistances(centers, k, n, stage("init", restart + 1));
        initIterations++;
        if (shifted < o.initEps * o.initEps) break;
      }
      if (!centers) throw new RangeError("initMaxIter must be at least 1");
      fcmMembershipStep(d2, k, n, m, bufs.u);
      etaStep(d2, bufs.u, k, n, m, o.K, omega, eta);
      const doomed = collapsedClusters(centers, eta, argmaxLabels(bufs.u, k, n), bufs.u, k, p, n, o.coincidence, omega).doomed;
      if (doomed.length === 0) break;
      if (levelReseeds + doomed.length <= o.maxReseeds) {
        // A bad draw (two seeds in one cluster): draw those clusters again.
        d2 = yield* reseed(d2, doomed, k, n, omega, rng);
        reseeds += doomed.length;
        levelReseeds += doomed.length;
        centers = null; // re-seeded rows no longer belong to `centers`
        continue;
      }
      if (m > 1 + 2 * MIN_FUZZIFIER_EXCESS && softenings < o.maxSoftenings) {
        // Re-seeding does not help: FCM at this m is too fuzzy for the data (in many dimensions
        // distance ratios approach 1, memberships flatten and centers drift together; Winkler,
        // Klawonn & Kruse 2011). Halve m - 1 and restart from the original seeds.
        m = 1 + (m - 1) / 2;
        params.m = m;
        softenings++;
        levelReseeds = 0;
        d2 = Float64Array.from(seedD2);
        centers = seedCenters ? Float64Array.from(seedCenters) : null;
        continue;
      }
      restartWarnings.push(`FCM initialisation left clusters ${doomed.join(", ")} coincident or empty after ${reseeds} re-seed(s)`);
      fcmCollapsed = true;
      break;
    }
    if (restarts === 1) {
      warnings.push(...restartWarnings);
      break;
    }
    // FCM's objective at this m: sum_ij omega_j u_ij^m d2_ij (a collapsed draw only if all are)
    let J = 0;
    for (let i = 0; i < k * n; i++) J += (omega ? omega[i % n] : 1) * Math.pow(bufs.u[i], m) * d2[i];
    // Lower by more than RESTART_MARGIN of J: draws that reach the same optimum tie, and an
    // encrypted replay (approximate distances) keeps the same draw as the reference.
    if (!best || (best.collapsed && !fcmCollapsed) || (best.collapsed === fcmCollapsed && J < best.J * (1 - RESTART_MARGIN)))
      best = {
        J,
        collapsed: fcmCollapsed,
        centers: Float64Array.from(centers!),
        d2: Float64Array.from(d2),
        eta: Float64Array.from(eta),
        m,
        warnings: restartWarnings,
      };
  }
  if (best) {
    centers = best.centers;
    d2 = best.d2;
    eta.set(best.eta);
    m = best.m;
    params.m = m;
    fcmCollapsed = best.collapsed;
    warnings.push(...best.warnings);
  }
  if (!centers) throw new RangeError("initMaxIter must be at least 1");
  const fcmCenters = Float64Array.from(centers);
  const fcmEta = Float64Array.from(eta);

  // 3-5. Possibilistic phase from the FCM centers. If it pulls distinct FCM clusters onto one
  // another (their zones of typicality overlap: eta too large for their separation), shrink
  // those clusters' eta and start again from the FCM centers. As eta -> 0 the typicality term
  // vanishes and PFCM tends to FCM, which kept them apart.
  for (;;) {
    converged = false;
    let prevJ = Infinity;
    for (let it = 0; it < o.maxIter; it++) {
      const J = membershipStep(d2, k, n, eta, params, { w: bufs.w }, omega); // u, t not needed here
      const sums = yield* askWeightedSums(bufs.w, k, p);
      const next = centersFromSums(sums, weightTotals(bufs.w, k, n, totals), k, p, centers);
      const shift = maxShift2(centers, next, k, p);
      centers = next;
      d2 = yield* askDistances(centers, k, n, { ...stage("possibilistic", restarts), objective: J });
      pcmIterations++;
      if (shift < o.eps * o.eps || Math.abs(prevJ - J) <= o.tol * Math.abs(J)) {
        converged = true;
        break;
      }
      prevJ = J;
    }
    objective = membershipStep(d2, k, n, eta, params, bufs, omega);
    // Ownership by nearest center (argmax u), not by `labelBy`: typicality labels can leave a
    // broad cluster owning everything without any center having moved onto another.
    const { doomed, involved } = collapsedClusters(centers, fcmEta, argmaxLabels(bufs.u, k, n), bufs.t, k, p, n, o.coincidence, omega);
    // Clusters FCM already left coincident cannot be separated by restarting from FCM.
    if (doomed.length === 0 || fcmCollapsed) break;
    if (shrinks >= o.maxShrinks) {
      warnings.push(
        `clusters ${doomed.join(", ")} stay coincident or empty after shrinking eta ${shrinks} time(s); ` +
          `the result has fewer than k = ${k} distinct clusters`,
      );
      break;
    }
    for (const i of involved) eta[i] *= o.shrink;
    shrinks++;
    centers = Float64Array.from(fcmCenters);
    d2 = yield* askDistances(centers, k, n, stage("possibilistic", restarts));
  }

  if (!converged) warnings.push(`possibilistic phase stopped at maxIter = ${o.maxIter} without converging`);
  const labels = labelsFor(o.labelBy, bufs, k, n);
  const mass = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (omega ? omega[j] : 1) * bufs.u[i * n + j];
    mass[i] = s;
  }
  return {
    k,
    n,
    p,
    centers: centers ?? new Float64Array(k * p),
    typicality: bufs.t,
    membership: bufs.u,
    eta,
    labels,
    mass,
    iterations: initIterations + pcmIterations,
    initIterations,
    pcmIterations,
    objective,
    converged,
    reseeds,
    shrinks,
    softenings,
    m,
    warnings,
    options: o,
  };
}

/**
 * Coincident-cluster detection. Centers i, l coincide when ||v_i - v_l||^2 < coincidence *
 * min(eta_i, eta_l); a cluster is empty when it is nobody's nearest center. `doomed`: the
 * weaker (less total `strengthOf`) of each coincident pair and every empty cluster;
 * `involved`: those plus their partners (every cluster when one is empty).
 */
function collapsedClusters(
  centers: Float64Array,
  eta: Float64Array,
  owner: Int32Array,
  strengthOf: Float64Array,
  k: number,
  p: number,
  n: number,
  coincidence: number,
  omega: Float64Array | undefined,
): { doomed: number[]; involved: number[] } {
  const owned = new Float64Array(k);
  for (let j = 0; j < n; j++) owned[owner[j]] += omega ? omega[j] : 1;
  const strength = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += (omega ? omega[j] : 1) * strengthOf[i * n + j];
    strength[i] = s;
  }
  const doomed = new Set<number>();
  const involved = new Set<number>();
  for (let i = 0; i < k; i++)
    if (!(owned[i] > 0)) {
      doomed.add(i);
      for (let l = 0; l < k; l++) involved.add(l);
    }
  for (let i = 0; i < k; i++) {
    for (let l = i + 1; l < k; l++) {
      if (doomed.has(i) || doomed.has(l)) continue;
      let s = 0;
      for (let c = 0; c < p; c++) {
        const d = centers[i * p + c] - centers[l * p + c];
        s += d * d;
      }
      if (s < coincidence * Math.min(eta[i], eta[l])) {
        doomed.add(strength[i] < strength[l] ? i : l);
        involved.add(i);
        involved.add(l);
      }
    }
  }
  const sorted = (x: Set<number>) => [...x].sort((q, r) => q - r);
  return { doomed: sorted(doomed), involved: sorted(involved) };
}

/**
 * Replaces the distance rows of `doomed` clusters by distances to fresh points drawn by D^2
 * sampling against the remaining clusters.
 */
function* reseed(d2: Float64Array, doomed: number[], k: number, n: number, omega: Float64Array | undefined, rng: () => number): Ask<Float64Array> {
  const keep = new Uint8Array(k).fill(1);
  for (const i of doomed) keep[i] = 0;
  const dmin = new Float64Array(n).fill(Infinity);
  for (let i = 0; i < k; i++) if (keep[i]) for (let j = 0; j < n; j++) if (d2[i * n + j] < dmin[j]) dmin[j] = d2[i * n + j];
  const fresh = Float64Array.from(d2);
  const prob = new Float64Array(n);
  for (const i of doomed) {
    for (let j = 0; j < n; j++) prob[j] = (omega ? omega[j] : 1) * (dmin[j] === Infinity ? 1 : dmin[j]);
    let pick = sampleWeighted(prob, rng);
    if (pick < 0) pick = Math.floor(rng() * n);
    const row = yield* askPointDistances(pick, n);
    fresh.set(row, i * n);
    for (let j = 0; j < n; j++) if (row[j] < dmin[j]) dmin[j] = row[j];
  }
  return fresh;
}
