// Incremental mode over a backend (what an encrypted run uses) against the plaintext reference.
import { describe, expect, it } from "vitest";
import {
  chunkOf,
  hopcm,
  hopcmIncremental,
  incrementalOptions,
  modelOf,
  plaintextBackend,
  runHopcmAsync,
  withPrototypes,
  type AsyncHopcmBackend,
  type HopcmModel,
} from ".";
import { adjustedRandIndex } from "./metrics";
import { makeBlobs } from "./synthetic";

const blobs = makeBlobs(1200, 6, 3, { seed: 5 });
const { p } = blobs;
const rows = (from: number, to: number) => ({ X: blobs.X.subarray(from * p, to * p), n: to - from, p });
const first = rows(0, 800);
const second = rows(800, 1200);
const prev: HopcmModel = modelOf(hopcm(first.X, first.n, p, { k: 3 }));

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

/** A backend that counts requests and passes every one to plaintextBackend (like a remote CSP). */
function counting(chunk: { X: Float64Array; n: number; p: number }) {
  const inner = plaintextBackend(chunk.X, chunk.n, chunk.p);
  const count = { distances: 0, weightedSums: 0, pointDistances: 0 };
  const backend: AsyncHopcmBackend = {
    n: chunk.n,
    p: chunk.p,
    distances: async (c, k) => (count.distances++, inner.distances(c, k)),
    weightedSums: async (w, k) => (count.weightedSums++, inner.weightedSums(w, k)),
    pointDistances: async (j) => (count.pointDistances++, inner.pointDistances(j)),
  };
  return { backend, count };
}

describe("withPrototypes: incremental HoPCM over any backend", () => {
  it("gives hopcmIncremental's labels, centers, mass and iterations", async () => {
    const reference = hopcmIncremental(prev, second, { k: 3 });
    const { backend } = counting(second);
    const split = chunkOf(await runHopcmAsync(withPrototypes(backend, prev), incrementalOptions(prev, second.n, { k: 3 })), 3);
    expect(Array.from(split.labels)).toEqual(Array.from(reference.labels));
    expect(split.result.iterations).toBe(reference.result.iterations);
    expect(maxDiff(split.model.centers, reference.model.centers)).toBeLessThan(1e-10);
    expect(maxDiff(split.model.mass, reference.model.mass)).toBeLessThan(1e-8);
    expect(maxDiff(split.typicality, reference.typicality)).toBeLessThan(1e-10);
    // mass carries over: previous total + the chunk's points
    expect(split.model.mass.reduce((a, b) => a + b, 0)).toBeCloseTo(1200, 6);
    // cluster identities carry over: the chunk's labels agree with the truth up to the first run's naming
    expect(adjustedRandIndex(blobs.labels.subarray(800), split.labels)).toBe(1);
  });

  it("answers every request like the concatenated data would, never sending prototypes' weights to the backend", async () => {
    const N = 3 + second.n;
    const all = new Float64Array(N * p);
    all.set(prev.centers, 0);
    all.set(second.X, 3 * p);
    const whole = plaintextBackend(all, N, p);
    const { backend, count } = counting(second);
    const split = withPrototypes(backend, prev);
    expect([split.n, split.p]).toEqual([N, p]);
    const v = Float64Array.from({ length: 2 * p }, (_, i) => Math.sin(i));
    expect(maxDiff(await split.distances(v, 2), whole.distances(v, 2))).toBe(0);
    const w = Float64Array.from({ length: 2 * N }, (_, i) => (i % 7) / 7);
    expect(maxDiff(await split.weightedSums(w, 2), whole.weightedSums(w, 2))).toBeLessThan(1e-9);
    for (const index of [0, 2, 3, 10, N - 1]) expect(maxDiff(await split.pointDistances(index), whole.pointDistances(index))).toBeLessThan(1e-12);
    // the inner distances to all prototypes are asked once and reused for every record index
    expect(count).toEqual({ distances: 1 + 2 + 1, weightedSums: 1, pointDistances: 3 });
    await expect(split.pointDistances(N)).rejects.toThrow(/outside/);
    await expect(split.weightedSums(new Float64Array(5), 2)).rejects.toThrow(/expected k\*n/);
  });

  it("refuses a previous model of the wrong shape", () => {
    const { backend } = counting(second);
    expect(() => withPrototypes(backend, { centers: prev.centers.subarray(1), mass: prev.mass })).toThrow(/previous centers/);
    expect(() => withPrototypes(backend, { centers: prev.centers, mass: Float64Array.of(1, Number.NaN, 2) })).toThrow(/not a finite/);
    expect(() => hopcmIncremental(prev, second, { k: 2 })).toThrow(/expected k = 2/);
  });
});
