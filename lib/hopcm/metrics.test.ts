import { describe, expect, it } from "vitest";
import { fcm, kmeans } from "./baselines";
import { adjustedRandIndex, clusterSizes, normalizedMutualInfo, pcmObjective, silhouette } from "./metrics";
import { makeBlobs } from "./synthetic";

describe("adjusted Rand index", () => {
  it("matches known values", () => {
    // Values from the scikit-learn documentation of adjusted_rand_score.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 1])).toBe(1);
    expect(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0])).toBe(1);
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(4 / 7, 15);
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(4 / 7, 15);
    expect(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3])).toBe(0);
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 15);
    expect(adjustedRandIndex(["a", "a", "b"], [5, 5, 7])).toBe(1);
  });

  it("rejects labelings of different lengths", () => {
    expect(() => adjustedRandIndex([0, 1], [0])).toThrow(/length/);
  });
});

describe("normalized mutual information", () => {
  it("matches hand-computed values (arithmetic normalisation)", () => {
    expect(normalizedMutualInfo([0, 0, 1, 1], [1, 1, 0, 0])).toBeCloseTo(1, 15);
    // I = ln 2, H(A) = ln 2, H(B) = 1.5 ln 2 -> 2 / 2.5
    expect(normalizedMutualInfo([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.8, 15);
    expect(normalizedMutualInfo([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(0, 15);
  });
});

describe("silhouette", () => {
  it("matches a hand-computed example", () => {
    // 1-D points 0, 1 | 10, 11: s = 19/21 for the outer points, 17/19 for the inner ones
    const s = silhouette(Float64Array.from([0, 1, 10, 11]), 4, 1, [0, 0, 1, 1]);
    expect(s).toBeCloseTo((19 / 21 + 17 / 19) / 2, 14);
    expect(silhouette(Float64Array.from([0, 1]), 2, 1, [0, 0])).toBe(0);
  });

  it("samples large inputs reproducibly", () => {
    const b = makeBlobs(3000, 3, 3, { seed: 2 });
    const s1 = silhouette(b.X, b.n, b.p, b.labels, { sampleSize: 300, seed: 1 });
    const s2 = silhouette(b.X, b.n, b.p, b.labels, { sampleSize: 300, seed: 1 });
    expect(s1).toBe(s2);
    expect(s1).toBeGreaterThan(0.5);
  });
});

describe("PCM objective", () => {
  it("matches a hand-computed value", () => {
    // points 0 and 2, center 1, t = 0.5, eta = 1, m = 2: 2 * 0.25 * 1 + 1 * 2 * 0.25
    expect(pcmObjective(Float64Array.from([0, 2]), 2, 1, Float64Array.from([1]), Float64Array.from([0.5, 0.5]), [1], 2)).toBeCloseTo(1, 15);
  });
});

describe("baselines", () => {
  it("k-means and FCM recover separated blobs", () => {
    const b = makeBlobs(1500, 4, 3, { seed: 3 });
    const km = kmeans(b.X, b.n, b.p, { k: 3 });
    const f = fcm(b.X, b.n, b.p, { k: 3 });
    expect(adjustedRandIndex(b.labels, km.labels)).toBe(1);
    expect(adjustedRandIndex(b.labels, f.labels)).toBe(1);
    const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
    expect(sorted(clusterSizes(km.labels, 3))).toEqual(sorted(clusterSizes(b.labels, 3)));
    expect(km.inertia).toBeGreaterThan(0);
    expect(f.objective).toBeGreaterThan(0);
  });
});
