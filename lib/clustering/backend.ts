/**
 * The encrypted protocol over several uploads at once. lib/hopcm/encrypted's `encryptedBackend`
 * serves one dataset (its key-holder layouts assume records 0..n-1 packed contiguously into
 * blocks). A run concatenates uploads: record j of the run is record j - offset_u of upload u.
 * Each upload keeps its own CSP dataset (its blocks), and every request is answered per upload:
 *
 *   distances(v)      KH encryptCenters(v) once -> CSP cspDistances per upload -> KH decrypts, concatenates
 *   weightedSums(w)   KH encryptWeights(w restricted to upload u) -> CSP cspWeightedSums -> KH adds the k x p sums
 *   pointDistances(j) KH encryptSelector(j in its upload) -> CSP cspSelectPoint there, cspDistances on every upload
 *
 * With one upload this is exactly `encryptedBackend`. With several, the key holder sees each
 * upload's aggregate sum_{j in u} w_ij x_j instead of only their total (documented in
 * lib/clustering/README.md; runs require a minimum number of records per upload).
 *
 * Units (lib/hopcm units.ts): with `units`, upload u's records count as z = a_u x + b_u. The CSP
 * rescales the upload's distance copies once by encrypted a_u (`cspScaleFeatures`, no extra
 * depth); the key holder sends each upload centers shifted by -b_u, maps each upload's sums back
 * (a_u S_u + b_u W_u) in plaintext and, for seeding, selects with per-feature selectors carrying
 * a_u and shifts the selected record by b_u - b_u' for upload u'.
 */
import { isIdentity, pointColumns, type AsyncHopcmBackend, type HopcmOptions, type HopcmStage, type UploadUnits } from "@/lib/hopcm";
import {
  cspAddCenters,
  cspDistances,
  cspScaleFeatures,
  cspSelectPoint,
  cspWeightedSums,
  dispose,
  type Ckks,
  type CspDataset,
  type CspEvaluator,
  type EncCenters,
  type EncDistances,
  type EncScales,
  type EncSelector,
  type EncSums,
  type EncWeights,
  type KeyHolder,
} from "@/lib/hopcm/encrypted";

/**
 * HoPCM options of a run (the plaintext reference with the same options gives the same labels).
 * `seed` is the run's secret k-means++ seed (lib/authority/run-seed): never a constant.
 */
export const runOptions = (k: number, seed: number): HopcmOptions => ({ k, seed });

export interface RunTimes {
  /** CSP computation on ciphertexts (seen from the key holder: with the trip there and back), ms. */
  csp: number;
  /** Key-holder cryptography (encrypt requests, decrypt replies), ms. */
  keyHolder: number;
}

/**
 * The CSP's side of a run as the key holder sees it: the uploads' sizes and four operations on
 * their ciphertexts. In one process `localCspPort` calls lib/hopcm/encrypted directly; across the
 * parties' boundary the key holder's session (lib/authority/run-key-holder.ts) sends each call
 * to the CSP's worker as an order and waits for its reply. Messages passed in stay the caller's
 * (it disposes them); replies become the caller's.
 */
export interface CspPort {
  /** Records per upload. */
  readonly sizes: readonly number[];
  readonly p: number;
  /** cspScaleFeatures on upload u. */
  scale(u: number, scales: EncScales): Promise<void>;
  /** cspDistances on upload u to `centers`, or to the point last selected (plus `offset`, cspAddCenters). */
  distances(u: number, centers: EncCenters | { point: true; offset: EncCenters | null }): Promise<EncDistances>;
  /** cspWeightedSums on upload u. */
  sums(u: number, weights: EncWeights): Promise<EncSums>;
  /** cspSelectPoint on upload u: the selected record (a_u x_j, broadcast) is kept for `distances(v, { point })`. */
  select(u: number, selector: EncSelector): Promise<void>;
}

/** The CSP's operations in this process (tests, benchmarks; the worker runs the same per order, lib/clustering/standard.ts). */
export function localCspPort(csp: CspEvaluator, datasets: CspDataset[]): CspPort & { dispose(): void } {
  if (datasets.length === 0) throw new RangeError("a run needs at least one upload");
  const p = datasets[0].p;
  if (datasets.some((d) => d.p !== p)) throw new RangeError("every upload of a run must have the same features");
  let point: EncCenters | null = null;
  const drop = () => {
    if (point) dispose(point);
    point = null;
  };
  return {
    sizes: datasets.map((d) => d.n),
    p,
    scale: async (u, scales) => cspScaleFeatures(csp, datasets[u], scales),
    async distances(u, centers) {
      if (!("point" in centers)) return cspDistances(csp, datasets[u], centers);
      if (!point) throw new RangeError("no record selected");
      if (!centers.offset) return cspDistances(csp, datasets[u], point);
      const moved = cspAddCenters(csp, point, centers.offset);
      try {
        return cspDistances(csp, datasets[u], moved);
      } finally {
        dispose(moved);
      }
    },
    sums: async (u, weights) => cspWeightedSums(csp, datasets[u], weights),
    async select(u, selector) {
      drop();
      point = cspSelectPoint(csp, datasets[u], selector);
    },
    dispose: drop,
  };
}

export interface MultiUploadBackend extends AsyncHopcmBackend {
  readonly times: RunTimes;
  /** Offsets of each upload's records in the run's record order. */
  readonly offsets: number[];
}

export function multiUploadBackend(
  parties: { ckks: Ckks; keyHolder: KeyHolder; port: CspPort },
  hooks: { now?: () => number; units?: UploadUnits[] } = {},
): MultiUploadBackend & { prepare(): Promise<void> } {
  const { keyHolder, port } = parties;
  const sizes = port.sizes;
  if (sizes.length === 0) throw new RangeError("a run needs at least one upload");
  const p = port.p;
  const units = hooks.units && !hooks.units.every(isIdentity) ? hooks.units : null;
  if (units && (units.length !== sizes.length || units.some((u) => u.scale.length !== p || u.shift.length !== p)))
    throw new RangeError("units: one scale and shift of p features per upload");
  const offsets: number[] = [];
  let n = 0;
  for (const m of sizes) {
    offsets.push(n);
    n += m;
  }
  const now = hooks.now ?? (() => performance.now());
  const times: RunTimes = { csp: 0, keyHolder: 0 };
  const timed = <R>(party: "keyHolder", f: () => R): R => {
    const t0 = now();
    try {
      return f();
    } finally {
      times[party] += now() - t0;
    }
  };
  const atCsp = async <R>(f: () => Promise<R>): Promise<R> => {
    const t0 = now();
    try {
      return await f();
    } finally {
      times.csp += now() - t0;
    }
  };

  /** Center v shifted by -b_u (upload u's view of the run's centers). */
  const shifted = (centers: Float64Array, k: number, shift: Float64Array) => {
    const c = Float64Array.from(centers);
    for (let i = 0; i < k; i++) for (let l = 0; l < p; l++) c[i * p + l] -= shift[l];
    return c;
  };

  /** d2 of every record of every upload to the centers `centerFor(u)` gives upload u (k of them), concatenated k x n. */
  const allDistances = async (centerFor: (u: number) => Parameters<CspPort["distances"]>[1], k: number) => {
    const d2 = new Float64Array(k * n);
    for (let u = 0; u < sizes.length; u++) {
      const reply = await atCsp(() => port.distances(u, centerFor(u)));
      try {
        const part = timed("keyHolder", () => keyHolder.decryptDistances(reply, sizes[u]));
        for (let i = 0; i < k; i++) d2.set(part.subarray(i * sizes[u], (i + 1) * sizes[u]), i * n + offsets[u]);
      } finally {
        dispose(reply);
      }
    }
    return d2;
  };

  return {
    n,
    p,
    times,
    offsets,

    /** Moves each upload to the run's units (the CSP rescales by encrypted a_u); once, before the coordinator's first request. */
    async prepare() {
      if (!units) return;
      for (let u = 0; u < sizes.length; u++) {
        if (units[u].scale.every((a) => a === 1)) continue;
        const scales = timed("keyHolder", () => keyHolder.encryptScales(units[u].scale));
        try {
          await atCsp(() => port.scale(u, scales));
        } finally {
          dispose(scales);
        }
      }
    },

    async distances(centers, k) {
      const requests = (units ?? [null]).map((unit) =>
        timed("keyHolder", () => keyHolder.encryptCenters(unit ? shifted(centers, k, unit.shift) : centers, k, p)),
      );
      try {
        return await allDistances((u) => requests[units ? u : 0], k);
      } finally {
        for (const r of requests) dispose(r);
      }
    },

    async weightedSums(weights, k) {
      const S = new Float64Array(k * p);
      for (let u = 0; u < sizes.length; u++) {
        const w = pointColumns(weights, k, n, offsets[u], offsets[u] + sizes[u]);
        const { message, totals } = timed("keyHolder", () => keyHolder.encryptWeights(w, k, sizes[u], p));
        let reply: EncSums;
        try {
          reply = await atCsp(() => port.sums(u, message));
        } finally {
          dispose(message);
        }
        let sums: Float64Array;
        try {
          sums = timed("keyHolder", () => keyHolder.decryptSums(reply, totals));
        } finally {
          dispose(reply);
        }
        if (units) {
          // sum_j w_ij (a x_j + b) = a * sum_j w_ij x_j + b * sum_j w_ij
          const { scale, shift } = units[u];
          for (let i = 0; i < k; i++) for (let l = 0; l < p; l++) S[i * p + l] += scale[l] * sums[i * p + l] + shift[l] * totals[i];
        } else for (let t = 0; t < S.length; t++) S[t] += sums[t];
      }
      return S;
    },

    async pointDistances(index) {
      if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`record index ${index} outside 0..${n - 1}`);
      let u = sizes.length - 1;
      while (offsets[u] > index) u--;
      const selector = timed("keyHolder", () => keyHolder.encryptSelector(index - offsets[u], sizes[u], units?.[u].scale));
      try {
        await atCsp(() => port.select(u, selector)); // a_u x_j, broadcast, kept at the CSP
      } finally {
        dispose(selector);
      }
      const made: EncCenters[] = [];
      const centerFor = (v: number) => {
        if (!units || units[v].shift.every((b, l) => b === units[u].shift[l])) return { point: true as const, offset: null };
        // upload v's view of z_j = a_u x_j + b_u: a_u x_j + (b_u - b_v)
        const delta = Float64Array.from(units[u].shift, (b, l) => b - units[v].shift[l]);
        const offset = timed("keyHolder", () => keyHolder.encryptCenters(delta, 1, p));
        made.push(offset);
        return { point: true as const, offset };
      };
      try {
        return await allDistances(centerFor, 1);
      } finally {
        for (const c of made) dispose(c);
      }
    },
  };
}

export interface IterationHook {
  /**
   * Called after every answered `distances` request of the coordinator with the new centers,
   * their d2 (k x n), how many center updates (weightedSums requests) came before and the
   * coordinator's stage (undefined from a driver that does not say); may throw (e.g. to cancel the run).
   */
  (event: { centers: Float64Array; k: number; d2: Float64Array; weightedSums: number; stage?: HopcmStage }): void | Promise<void>;
}

/**
 * The coordinator's requests, observed: `afterDistances` sees every distances reply. Wrap the
 * outermost backend (the one `runHopcmAsync` drives), so that requests an inner layer makes on
 * its own behalf (e.g. `withPrototypes` asking distances to one prototype) are not mistaken for
 * iterations.
 */
export function observed(backend: AsyncHopcmBackend, afterDistances: IterationHook): AsyncHopcmBackend {
  let weightedSums = 0;
  return {
    n: backend.n,
    p: backend.p,
    pointDistances: (index) => backend.pointDistances(index),
    async distances(centers, k, stage) {
      const d2 = await backend.distances(centers, k, stage);
      await afterDistances({ centers, k, d2, weightedSums, stage });
      return d2;
    },
    weightedSums(weights, k) {
      weightedSums++;
      return backend.weightedSums(weights, k);
    },
  };
}

/**
 * The FCM objective (m = 2) at given centers with optimal memberships:
 * J = sum_j omega_j (sum_i 1/d2_ij)^-1 (omega: point weights, default 1). A progress signal per iteration computed by the key holder from
 * the distances it already decrypts.
 */
export function fcmObjective(d2: Float64Array, k: number, n: number, pointWeights?: Float64Array): number {
  let J = 0;
  for (let j = 0; j < n; j++) {
    let inv = 0;
    let zero = false;
    for (let i = 0; i < k; i++) {
      const d = d2[i * n + j];
      if (d <= 0) zero = true;
      else inv += 1 / d;
    }
    if (!zero && inv > 0) J += (pointWeights ? pointWeights[j] : 1) / inv;
  }
  return J;
}
