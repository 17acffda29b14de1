/**
 * Timing of the reference HoPCM on seeded synthetic blobs, split into the CSP side (distance
 * and weighted-sum steps) and the key-holder side (everything else: memberships, centers,
 * guard). Pure: runs in Node (scripts/bench-hopcm.ts) and in a browser.
 *
 * Hook for the encrypted protocol: pass `backends` (e.g. a CKKS backend over encrypted
 * tensors). Each is driven by the same coordinator and reported beside the reference, with
 * whether its labels match and how far its centers are from the reference's.
 */
import { plaintextBackend, runHopcm, runHopcmAsync, type AsyncHopcmBackend, type HopcmBackend, type HopcmResult } from "./hopcm";
import type { HopcmOptions } from "./options";
import { adjustedRandIndex } from "./metrics";
import { makeBlobs } from "./synthetic";

export interface StepTimes {
  distances: number;
  pointDistances: number;
  weightedSums: number;
  requests: number;
}

/** Wraps a backend and accumulates the wall time of each request kind (ms). */
export function timedBackend<B extends HopcmBackend | AsyncHopcmBackend>(
  backend: B,
  now: () => number = () => performance.now(),
): { backend: B; times: StepTimes } {
  const times: StepTimes = { distances: 0, pointDistances: 0, weightedSums: 0, requests: 0 };
  const time =
    <A extends unknown[], R>(key: "distances" | "pointDistances" | "weightedSums", f: (...a: A) => R) =>
    (...a: A): R => {
      const t0 = now();
      const r = f(...a);
      times.requests++;
      if (r instanceof Promise) return r.finally(() => (times[key] += now() - t0)) as R;
      times[key] += now() - t0;
      return r;
    };
  const wrapped = {
    n: backend.n,
    p: backend.p,
    pointDistances: time("pointDistances", backend.pointDistances.bind(backend)),
    distances: time("distances", backend.distances.bind(backend)),
    weightedSums: time("weightedSums", backend.weightedSums.bind(backend)),
  } as B;
  return { backend: wrapped, times };
}

/** A backend to compare with the reference (e.g. the encrypted protocol's CSP). */
export interface BenchBackendFactory {
  /** Column label, e.g. "CKKS N=8192". */
  name: string;
  create(X: Float64Array, n: number, p: number): AsyncHopcmBackend | Promise<AsyncHopcmBackend>;
}

export interface BenchRow {
  name: string;
  n: number;
  p: number;
  k: number;
  /** Median total wall time over repeats (ms). */
  ms: number;
  /** First run at this size (JIT cold for the first size), ms; reference rows only. */
  coldMs: number | null;
  iterations: number;
  msPerIteration: number;
  /** Median time inside backend requests (the CSP side), ms. */
  cspMs: number;
  /** Median time outside them (the key-holder side), ms. */
  keyHolderMs: number;
  ari: number;
  /** Backend rows: labels identical to the reference; max |center difference|. */
  labelsMatch: boolean | null;
  maxCenterDiff: number | null;
}

export interface BenchOptions {
  sizes?: number[];
  p?: number;
  k?: number;
  repeats?: number;
  seed?: number;
  hopcm?: Omit<HopcmOptions, "k">;
  backends?: BenchBackendFactory[];
  now?: () => number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function benchHopcm(options: BenchOptions = {}): Promise<BenchRow[]> {
  const { sizes = [10_000, 100_000], p = 10, k = 3, repeats = 7, seed = 1, backends = [] } = options;
  const now = options.now ?? (() => performance.now());
  const opts: HopcmOptions = { ...options.hopcm, k };
  const rows: BenchRow[] = [];
  for (const n of sizes) {
    const blobs = makeBlobs(n, p, k, { seed });
    const totals: number[] = [];
    const csp: number[] = [];
    let coldMs = NaN;
    let reference: HopcmResult | null = null;
    // Run 0 is the first at this size (for the first size: JIT cold); runs 1..repeats are timed.
    for (let r = 0; r <= repeats; r++) {
      const { backend, times } = timedBackend(plaintextBackend(blobs.X, n, p), now);
      const t0 = now();
      reference = runHopcm(backend, opts); // the sync driver: no await overhead
      const ms = now() - t0;
      if (r === 0) coldMs = ms;
      else {
        totals.push(ms);
        csp.push(times.distances + times.pointDistances + times.weightedSums);
      }
    }
    if (!reference) throw new RangeError("repeats must be >= 0");
    const ms = median(totals);
    const cspMs = median(csp);
    rows.push({
      name: "reference (plaintext)",
      n,
      p,
      k,
      ms,
      coldMs,
      iterations: reference.iterations,
      msPerIteration: ms / reference.iterations,
      cspMs,
      keyHolderMs: ms - cspMs,
      ari: adjustedRandIndex(blobs.labels, reference.labels),
      labelsMatch: null,
      maxCenterDiff: null,
    });
    for (const factory of backends) {
      const { backend, times } = timedBackend(await factory.create(blobs.X, n, p), now);
      const t0 = now();
      const r = await runHopcmAsync(backend, opts);
      const ms = now() - t0;
      const cspMs = times.distances + times.pointDistances + times.weightedSums;
      let maxDiff = 0;
      for (let i = 0; i < r.centers.length; i++) maxDiff = Math.max(maxDiff, Math.abs(r.centers[i] - reference!.centers[i]));
      rows.push({
        name: factory.name,
        n,
        p,
        k,
        ms,
        coldMs: null,
        iterations: r.iterations,
        msPerIteration: ms / r.iterations,
        cspMs,
        keyHolderMs: ms - cspMs,
        ari: adjustedRandIndex(blobs.labels, r.labels),
        labelsMatch: r.labels.every((l, j) => l === reference!.labels[j]),
        maxCenterDiff: maxDiff,
      });
    }
  }
  return rows;
}
