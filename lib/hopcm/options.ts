/**
 * HoPCM's options: the parameters of a run (c, m, mt, a, b, tolerances, guards), their
 * defaults (chosen on WDBC and seeded synthetic data; see hopcm.ts) and their resolution.
 */
export type LabelRule = "typicality" | "membership" | "weight";

export interface HopcmOptions {
  /** Number of clusters c. */
  k: number;
  /** PRNG seed for k-means++ seeding and re-seeding. Default 42. */
  seed?: number;
  /** Fuzzifier of the fuzzy memberships u. Default 1.5 (docs/BENCHMARKS.md, quality on public data). */
  m?: number;
  /** Exponent of the typicalities t. Default 2. */
  mt?: number;
  /** Weight of the fuzzy term (0 = plain PCM). Default 1. */
  a?: number;
  /** Weight of the possibilistic term (0 = plain FCM). Default 4 (see the header). */
  b?: number;
  /** Scale factor K in eta_i. Default 0.5: a tighter zone of typicality. */
  K?: number;
  /**
   * Stop when the largest center shift (Euclidean, feature units) is below eps. Default 1e-6:
   * a replay with approximate arithmetic (CKKS) that stops one iteration earlier or later
   * still ends within about eps of this run.
   */
  eps?: number;
  /**
   * ...or when the objective changes by at most tol * |J|. Default 0 (off): near convergence
   * J moves by less than the noise of approximate arithmetic, so this test would make an
   * encrypted replay stop at a different iteration.
   */
  tol?: number;
  /** Iteration cap of the possibilistic phase (per restart). Default 300. */
  maxIter?: number;
  /** Center-shift tolerance of the FCM initialisation. Default 1e-3. */
  initEps?: number;
  /** Iteration cap of the FCM initialisation. Default 100. */
  initMaxIter?: number;
  /**
   * FCM initialisations from this many k-means++ draws; the possibilistic phase starts from the
   * one with the lowest FCM objective (one that FCM left collapsed only if all are). Default 3.
   * Not with `initialCenters`.
   */
  initRestarts?: number;
  /**
   * What labels are the argmax of: "weight" (combined membership a u^m + b t^mt, default),
   * "membership" (u: the nearest center) or "typicality" (t).
   */
  labelBy?: LabelRule;
  /** Point weights omega (length n), e.g. previous centers' mass in incremental mode. */
  pointWeights?: Float64Array;
  /** Start from these centers (k x p) instead of k-means++ seeding. */
  initialCenters?: Float64Array;
  /** Centers i, l are coincident when ||v_i - v_l||^2 < coincidence * min(eta_i, eta_l). Default 0.04. */
  coincidence?: number;
  /** How many clusters may be re-seeded after FCM initialisation (per fuzzifier level). Default k. */
  maxReseeds?: number;
  /** How many times the guard may lower m (m - 1 halved) when FCM initialisation collapses. Default 3. */
  maxSoftenings?: number;
  /** How many times the guard may shrink eta of coincident clusters. Default 8; 0 disables it. */
  maxShrinks?: number;
  /** Factor applied to eta of coincident clusters per shrink. Default 0.5. */
  shrink?: number;
}

type DataOptions = "pointWeights" | "initialCenters";
export type ResolvedHopcmOptions = Required<Omit<HopcmOptions, DataOptions>> & Pick<HopcmOptions, DataOptions>;

export const HOPCM_DEFAULTS = {
  seed: 42,
  m: 1.5,
  mt: 2,
  a: 1,
  b: 4,
  K: 0.5,
  eps: 1e-6,
  tol: 0,
  maxIter: 300,
  initEps: 1e-3,
  initMaxIter: 100,
  initRestarts: 3,
  labelBy: "weight" as LabelRule,
  coincidence: 0.04,
  maxShrinks: 8,
  maxSoftenings: 3,
  shrink: 0.5,
} as const;

export function resolveHopcmOptions(options: HopcmOptions): ResolvedHopcmOptions {
  const o: ResolvedHopcmOptions = {
    ...HOPCM_DEFAULTS,
    maxReseeds: options.k,
    ...stripUndefined(options),
  } as ResolvedHopcmOptions;
  if (!Number.isInteger(o.k) || o.k < 1) throw new RangeError(`k must be a positive integer, got ${o.k}`);
  if (!(o.m > 1)) throw new RangeError(`m must be > 1, got ${o.m}`);
  if (!(o.mt > 1)) throw new RangeError(`mt must be > 1, got ${o.mt}`);
  if (!(o.a >= 0) || !(o.b >= 0) || o.a + o.b === 0) throw new RangeError("a, b must be >= 0 and not both 0");
  if (!(o.K > 0)) throw new RangeError(`K must be > 0, got ${o.K}`);
  if (!(o.eps > 0)) throw new RangeError(`eps must be > 0, got ${o.eps}`);
  if (!(o.shrink > 0 && o.shrink < 1)) throw new RangeError(`shrink must be in (0, 1), got ${o.shrink}`);
  if (!(o.initMaxIter >= 1)) throw new RangeError(`initMaxIter must be >= 1, got ${o.initMaxIter}`);
  if (!Number.isInteger(o.initRestarts) || o.initRestarts < 1) throw new RangeError(`initRestarts must be a positive integer, got ${o.initRestarts}`);
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] !== undefined) out[key] = o[key];
  return out;
}
