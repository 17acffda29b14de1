import { describe, expect, it } from "vitest";
import { mulberry32, sampleWeighted } from "./prng";
import { makeBlobs } from "./synthetic";
import {
  allocMembershipBuffers,
  argmaxLabels,
  centerStep,
  centersFromSums,
  distanceStep,
  etaStep,
  fcmMembershipStep,
  membershipStep,
  pointDistanceStep,
  typicalityStep,
  weightTotals,
  weightedSumStep,
} from "./steps";

function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  return Float64Array.from({ length: rows * cols }, () => rng() * 4 - 2);
}

describe("distance step", () => {
  it("matches the naive double loop bit for bit (including the n % 4 tail)", () => {
    for (const n of [1, 3, 4, 7, 50]) {
      const p = 5;
      const k = 3;
      const X = randomMatrix(n, p, n);
      const C = randomMatrix(k, p, 99);
      const d2 = distanceStep(X, n, p, C, k);
      for (let i = 0; i < k; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let l = 0; l < p; l++) s += (X[j * p + l] - C[i * p + l]) ** 2;
          expect(d2[i * n + j]).toBe(s);
        }
    }
  });

  it("point distances are distances to a data point", () => {
    const X = Float64Array.from([0, 0, 3, 4, 6, 8]);
    expect(Array.from(pointDistanceStep(X, 3, 2, 1))).toEqual([25, 0, 25]);
  });
});

describe("center step", () => {
  it("weighted sums match the naive sums", () => {
    const n = 23;
    const p = 4;
    const k = 2;
    const X = randomMatrix(n, p, 1);
    const W = randomMatrix(k, n, 2).map(Math.abs);
    const S = weightedSumStep(X, n, p, W, k);
    for (let i = 0; i < k; i++)
      for (let l = 0; l < p; l++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += W[i * n + j] * X[j * p + l];
        expect(S[i * p + l]).toBeCloseTo(s, 12);
      }
  });

  it("v_i = sum_j w_ij x_j / sum_j w_ij, keeping the previous center when a weight row is zero", () => {
    const X = Float64Array.from([0, 0, 2, 0, 0, 4]); // 3 points in 2-D
    const W = Float64Array.from([1, 1, 2, 0, 0, 0]); // cluster 1 has no weight
    const prev = Float64Array.from([9, 9, 7, 7]);
    expect(Array.from(centerStep(X, 3, 2, W, 2, prev))).toEqual([0.5, 2, 7, 7]);
    expect(Array.from(weightTotals(W, 2, 3))).toEqual([4, 0]);
    expect(Array.from(centersFromSums(Float64Array.from([2, 8, 0, 0]), Float64Array.from([4, 0]), 2, 2))).toEqual([0.5, 2, 0, 0]);
  });
});

describe("membership step", () => {
  it("computes FCM memberships by hand", () => {
    // one point, d2 = [1, 4]: m = 2 -> u = (1/1, 1/4) / 1.25; m = 3 -> (1, 1/2) / 1.5
    const d2 = Float64Array.from([1, 4]);
    const u2 = fcmMembershipStep(d2, 2, 1, 2);
    expect(u2[0]).toBeCloseTo(0.8, 15);
    expect(u2[1]).toBeCloseTo(0.2, 15);
    const u3 = fcmMembershipStep(d2, 2, 1, 3);
    expect(u3[0]).toBeCloseTo(2 / 3, 15);
    expect(u3[1]).toBeCloseTo(1 / 3, 15);
  });

  it("shares a point that sits on centers, and treats negative d2 (CKKS noise) as 0", () => {
    expect(Array.from(fcmMembershipStep(Float64Array.from([0, 5, 0]), 3, 1, 2))).toEqual([0.5, 0, 0.5]);
    expect(Array.from(fcmMembershipStep(Float64Array.from([-1e-12, 5]), 2, 1, 2))).toEqual([1, 0]);
    const t = typicalityStep(Float64Array.from([-1e-12]), 1, 1, Float64Array.from([1]), 2);
    expect(t[0]).toBe(1);
  });

  it("computes typicalities t = 1 / (1 + (b d2 / eta)^(1/(mt-1))) by hand", () => {
    const d2 = Float64Array.from([2]);
    const eta = Float64Array.from([4]);
    expect(typicalityStep(d2, 1, 1, eta, 2, 1)[0]).toBeCloseTo(2 / 3, 15);
    expect(typicalityStep(d2, 1, 1, eta, 2, 4)[0]).toBeCloseTo(1 / 3, 15);
    expect(typicalityStep(d2, 1, 1, eta, 3, 1)[0]).toBeCloseTo(1 / (1 + Math.SQRT1_2), 15);
  });

  it("fuses u, t, weights and the PFCM objective consistently with the separate steps", () => {
    const k = 3;
    const n = 17;
    const d2 = randomMatrix(k, n, 5).map((x) => x * x);
    const eta = Float64Array.from([0.5, 1, 2]);
    const omega = Float64Array.from({ length: n }, (_, j) => 1 + (j % 3));
    for (const params of [
      { m: 2, mt: 2, a: 1, b: 4 },
      { m: 1.7, mt: 2.5, a: 2, b: 1 },
    ]) {
      const out = allocMembershipBuffers(k, n);
      const J = membershipStep(d2, k, n, eta, params, out, omega);
      const u = fcmMembershipStep(d2, k, n, params.m);
      const t = typicalityStep(d2, k, n, eta, params.mt, params.b);
      let J2 = 0;
      for (let i = 0; i < k; i++)
        for (let j = 0; j < n; j++) {
          const idx = i * n + j;
          expect(out.u[idx]).toBeCloseTo(u[idx], 14);
          expect(out.t[idx]).toBeCloseTo(t[idx], 14);
          const w = omega[j] * (params.a * u[idx] ** params.m + params.b * t[idx] ** params.mt);
          expect(out.w[idx]).toBeCloseTo(w, 13);
          J2 += w * d2[idx] + omega[j] * eta[i] * (1 - t[idx]) ** params.mt;
        }
      expect(J).toBeCloseTo(J2, 10);
      for (let j = 0; j < n; j++) expect(out.u[j] + out.u[n + j] + out.u[2 * n + j]).toBeCloseTo(1, 14);
    }
  });

  it("eta_i = K sum u^m d2 / sum u^m by hand", () => {
    // one cluster, two points: u = (1, 0.5), d2 = (1, 3), m = 2 -> (1 + 0.75) / 1.25 = 1.4
    const eta = etaStep(Float64Array.from([1, 3]), Float64Array.from([1, 0.5]), 1, 2, 2, 2);
    expect(eta[0]).toBeCloseTo(2 * 1.4, 15);
    const weighted = etaStep(Float64Array.from([1, 3]), Float64Array.from([1, 0.5]), 1, 2, 2, 1, Float64Array.from([3, 1]));
    expect(weighted[0]).toBeCloseTo((3 + 0.75) / 3.25, 15);
  });

  it("labels are the first argmax", () => {
    expect(Array.from(argmaxLabels(Float64Array.from([0.2, 0.5, 0.5, 0.8, 0.5, 0.1]), 2, 3))).toEqual([1, 0, 0]);
  });
});

describe("prng", () => {
  it("is reproducible and samples proportionally", () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    for (let i = 0; i < 10; i++) expect(a()).toBe(b());
    const rng = mulberry32(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[sampleWeighted([1, 0, 3], rng)]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / counts[0]).toBeGreaterThan(2.7);
    expect(counts[2] / counts[0]).toBeLessThan(3.3);
    expect(sampleWeighted([0, 0], rng)).toBe(-1);
  });
});

describe("the membership step's own loops for the defaults' exponents", () => {
  it("m = 1.5 and m = 2 with mt = 2 give what the general loop gives (unit point weights take the general loop)", () => {
    const b = makeBlobs(500, 4, 3, { seed: 5 });
    const centers = b.centers;
    const d2 = distanceStep(b.X, b.n, b.p, centers, 3);
    const eta = Float64Array.from([0.8, 1.1, 0.6]);
    for (const m of [1.5, 2]) {
      const fast = allocMembershipBuffers(3, b.n);
      const general = allocMembershipBuffers(3, b.n);
      const params = { m, mt: 2, a: 1, b: 4 };
      const jFast = membershipStep(d2, 3, b.n, eta, params, fast);
      const jGeneral = membershipStep(d2, 3, b.n, eta, params, general, new Float64Array(b.n).fill(1));
      expect(Math.abs(jFast - jGeneral) / jGeneral).toBeLessThan(1e-12);
      for (const key of ["u", "t", "w"] as const) for (let i = 0; i < fast[key].length; i++) expect(fast[key][i]).toBeCloseTo(general[key][i], 12);
    }
  });
});
