/**
 * Using a fitted HoPCM model: prediction for new points, and incremental clustering of a new
 * chunk together with the previous centers (weighted by their mass), plaintext or over a
 * remote backend.
 */
import { HOPCM_DEFAULTS, type HopcmOptions } from "./options";
import { type AsyncHopcmBackend, type HopcmResult, hopcm } from "./hopcm";
import { allocMembershipBuffers, distanceStep, fcmMembershipStep, labelsFor, pointDistanceStep, typicalityStep, weightedSumStep } from "./steps";

/** What a clustering leaves behind for later chunks: centers, their mass and scales. */
export interface HopcmModel {
  k: number;
  p: number;
  centers: Float64Array;
  mass: Float64Array;
  eta: Float64Array;
}

export function modelOf(result: HopcmResult): HopcmModel {
  return { k: result.k, p: result.p, centers: result.centers, mass: result.mass, eta: result.eta };
}

/** Memberships, typicalities and labels of new points under a fitted model (no center update). */
export function hopcmPredict(
  model: Pick<HopcmModel, "k" | "p" | "centers" | "eta">,
  X: Float64Array,
  n: number,
  options: Pick<HopcmOptions, "m" | "mt" | "a" | "b" | "labelBy"> = {},
): { labels: Int32Array; typicality: Float64Array; membership: Float64Array } {
  const { k, p } = model;
  const m = options.m ?? HOPCM_DEFAULTS.m;
  const mt = options.mt ?? HOPCM_DEFAULTS.mt;
  const a = options.a ?? HOPCM_DEFAULTS.a;
  const b = options.b ?? HOPCM_DEFAULTS.b;
  const d2 = distanceStep(X, n, p, model.centers, k);
  const bufs = allocMembershipBuffers(k, n);
  fcmMembershipStep(d2, k, n, m, bufs.u);
  typicalityStep(d2, k, n, model.eta, mt, b, bufs.t);
  for (let idx = 0; idx < k * n; idx++) bufs.w[idx] = a * Math.pow(bufs.u[idx], m) + b * Math.pow(bufs.t[idx], mt);
  const labels = labelsFor(options.labelBy ?? HOPCM_DEFAULTS.labelBy, bufs, k, n);
  return { labels, typicality: bufs.t, membership: bufs.u };
}

/**
 * Incremental HoPCM (Bu et al. 2021, in the single-pass style of Hore et al. 2007): the new
 * chunk is clustered together with the previous centers, each a point weighted by its mass
 * (sum of fuzzy memberships), starting from those centers, so cluster identities carry over;
 * old data is never re-read. `prev = null` clusters the first chunk. Returns the chunk's own
 * labels/memberships and the updated model (total mass = number of points seen).
 *
 * This is the plaintext reference (the chunk and the centers in one matrix). Over a remote
 * backend (e.g. the CSP on ciphertexts), use `withPrototypes` + `incrementalOptions` +
 * `chunkOf`: the same points, the same decisions.
 */
export function hopcmIncremental(
  prev: Pick<HopcmModel, "centers" | "mass"> | null,
  chunk: { X: Float64Array; n: number; p: number },
  options: HopcmOptions,
): IncrementalResult {
  const { X, n, p } = chunk;
  if (!prev) {
    const result = hopcm(X, n, p, options);
    return { result, labels: result.labels, typicality: result.typicality, membership: result.membership, model: modelOf(result) };
  }
  const k = checkPrevious(prev, options.k, p);
  const N = k + n;
  const data = new Float64Array(N * p);
  data.set(prev.centers, 0);
  data.set(X, k * p);
  return chunkOf(hopcm(data, N, p, incrementalOptions(prev, n, options)), k);
}

export interface IncrementalResult {
  /** The run over previous centers + chunk (n = k + chunk size; prototypes are points 0..k-1). */
  result: HopcmResult;
  /** The chunk's own labels (n), typicalities and memberships (k x n). */
  labels: Int32Array;
  typicality: Float64Array;
  membership: Float64Array;
  /** Centers, mass (previous mass + chunk size in total) and scales for the next chunk. */
  model: HopcmModel;
}

function checkPrevious(prev: Pick<HopcmModel, "centers" | "mass">, k: number, p: number): number {
  if (prev.mass.length !== k) throw new RangeError(`previous mass has ${prev.mass.length} entries, expected k = ${k}`);
  if (prev.centers.length !== k * p) throw new RangeError(`previous centers have ${prev.centers.length} values, expected k*p = ${k * p}`);
  for (const m of prev.mass) if (!(m >= 0 && m < Infinity)) throw new RangeError(`previous mass ${m} is not a finite non-negative number`);
  return k;
}

/** Options of an incremental step over k prototypes followed by n new points. */
export function incrementalOptions(prev: Pick<HopcmModel, "centers" | "mass">, n: number, options: HopcmOptions): HopcmOptions {
  const k = prev.mass.length;
  const omega = new Float64Array(k + n).fill(1);
  omega.set(prev.mass, 0);
  return { ...options, pointWeights: omega, initialCenters: Float64Array.from(prev.centers) };
}

/**
 * Points from..to of a cluster-major k x n matrix (d2, u, t, w), as a k x (to - from) matrix:
 * one upload's or one chunk's part of a request or result.
 */
export function pointColumns(M: Float64Array, k: number, n: number, from: number, to: number): Float64Array {
  const width = to - from;
  const out = new Float64Array(k * width);
  for (let i = 0; i < k; i++) out.set(M.subarray(i * n + from, i * n + to), i * width);
  return out;
}

/** Splits an incremental step's result into the chunk's part (points k..) and the next model. */
export function chunkOf(result: HopcmResult, k: number): IncrementalResult {
  const slice = (M: Float64Array) => pointColumns(M, result.k, result.n, k, result.n);
  return { result, labels: result.labels.slice(k), typicality: slice(result.typicality), membership: slice(result.membership), model: modelOf(result) };
}

/**
 * Incremental mode over any backend: the previous centers become points 0..k-1, held in the
 * clear by the coordinator's side (in the encrypted protocol: the key holder, which learnt them
 * in the previous run), followed by the backend's n points (ciphertexts at the CSP). Requests
 * are split: the prototypes' part is computed here, the rest is asked of `inner`.
 *
 *   distances(v)      prototypes' d2 here | inner.distances(v)
 *   weightedSums(w)   sum over prototypes here + inner.weightedSums(w restricted to the n points)
 *   pointDistances(j) j a prototype: here | inner.distances(prototype j);
 *                     j a point: column j of inner.distances(prototypes) (asked once) | inner.pointDistances
 *
 * Run with `incrementalOptions(prev, inner.n, options)`; `chunkOf(result, k)` gives the new
 * points' labels and the next model. Equals `hopcmIncremental` up to summation order.
 */
export function withPrototypes(inner: AsyncHopcmBackend, prev: Pick<HopcmModel, "centers" | "mass">): AsyncHopcmBackend {
  const { p } = inner;
  const k0 = checkPrevious(prev, prev.mass.length, p);
  const P = Float64Array.from(prev.centers);
  const n = inner.n;
  const N = k0 + n;
  let toPrototypes: Float64Array | null = null; // d2 of the inner points to the prototypes, k0 x n

  const join = (k: number, own: Float64Array, rest: Float64Array) => {
    const out = new Float64Array(k * N);
    for (let i = 0; i < k; i++) {
      out.set(own.subarray(i * k0, (i + 1) * k0), i * N);
      out.set(rest.subarray(i * n, (i + 1) * n), i * N + k0);
    }
    return out;
  };

  return {
    n: N,
    p,
    async distances(centers, k) {
      const own = distanceStep(P, k0, p, centers, k);
      return join(k, own, await inner.distances(centers, k));
    },
    async weightedSums(weights, k) {
      if (weights.length !== k * N) throw new RangeError(`weights have ${weights.length} values, expected k*n = ${k * N}`);
      const sums = Float64Array.from(await inner.weightedSums(pointColumns(weights, k, N, k0, N), k));
      const own = weightedSumStep(P, k0, p, pointColumns(weights, k, N, 0, k0), k);
      for (let t = 0; t < sums.length; t++) sums[t] += own[t];
      return sums;
    },
    async pointDistances(index) {
      if (!Number.isInteger(index) || index < 0 || index >= N) throw new RangeError(`point index ${index} outside 0..${N - 1}`);
      if (index < k0) {
        const own = pointDistanceStep(P, k0, p, index);
        return join(1, own, await inner.distances(P.subarray(index * p, (index + 1) * p), 1));
      }
      const j = index - k0;
      toPrototypes ??= Float64Array.from(await inner.distances(P, k0));
      const own = new Float64Array(k0);
      for (let i = 0; i < k0; i++) own[i] = toPrototypes[i * n + j];
      return join(1, own, await inner.pointDistances(j));
    },
  };
}
