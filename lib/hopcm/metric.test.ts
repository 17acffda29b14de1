import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyMetric, cholesky, gaussianMetricMatrix, gridPositions, tensorDistance2, transformRows } from "./metric";

describe("tensor metric", () => {
  it("builds G_lm = exp(-|p_l - p_m|^2 / 2 sigma^2) / (2 pi sigma^2) on a 1-D grid", () => {
    const sigma = 1.3;
    const G = gaussianMetricMatrix(4, sigma);
    const norm = 1 / (2 * Math.PI * sigma * sigma);
    expect(G[0]).toBeCloseTo(norm, 15);
    expect(G[0 * 4 + 2]).toBeCloseTo(norm * Math.exp(-4 / (2 * sigma * sigma)), 15);
    for (let l = 0; l < 4; l++) for (let m = 0; m < 4; m++) expect(G[l * 4 + m]).toBe(G[m * 4 + l]);
  });

  it("uses 2-D grid positions when given a shape", () => {
    expect(Array.from(gridPositions([2, 3]))).toEqual([0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 1, 2]);
    const G = gaussianMetricMatrix([2, 3], 1);
    // elements 0 = (0,0) and 4 = (1,1) are sqrt(2) apart
    expect(G[0 * 6 + 4]).toBeCloseTo(Math.exp(-1) / (2 * Math.PI), 15);
  });

  it("factors G = L L^T", () => {
    const p = 6;
    const G = gaussianMetricMatrix([2, 3], 0.8);
    const L = cholesky(G, p);
    for (let i = 0; i < p; i++)
      for (let j = 0; j < p; j++) {
        let s = 0;
        for (let c = 0; c < p; c++) s += L[i * p + c] * L[j * p + c];
        expect(s).toBeCloseTo(G[i * p + j], 14);
        if (j > i) expect(L[i * p + j]).toBe(0);
      }
  });

  it("(x-y)^T G (x-y) equals the squared Euclidean distance of L^T x and L^T y", () => {
    const p = 8;
    const vec = fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: p, maxLength: p });
    fc.assert(
      fc.property(vec, vec, fc.double({ min: 0.2, max: 1.5, noNaN: true }), (x, y, sigma) => {
        const G = gaussianMetricMatrix(p, sigma);
        const Y = transformRows(Float64Array.from([...x, ...y]), 2, p, cholesky(G, p));
        let e = 0;
        for (let l = 0; l < p; l++) e += (Y[l] - Y[p + l]) ** 2;
        const d = tensorDistance2(x, y, G);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(Math.abs(e - d)).toBeLessThanOrEqual(1e-9 * Math.max(1, d));
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it("is the identity for the Euclidean default, a transform for a Gaussian G", () => {
    const X = Float64Array.from([1, 2, 3, 4, 5, 6]);
    expect(applyMetric({ kind: "euclidean" }, X, 2, 3)).toBe(X);
    const Y = applyMetric({ kind: "gaussian", sigma: 0.7 }, X, 2, 3);
    const G = gaussianMetricMatrix(3, 0.7);
    const d = tensorDistance2([1, 2, 3], [4, 5, 6], G);
    expect((Y[0] - Y[3]) ** 2 + (Y[1] - Y[4]) ** 2 + (Y[2] - Y[5]) ** 2).toBeCloseTo(d, 12);
    expect(() => applyMetric({ kind: "gaussian", sigma: 1, shape: [2, 2] }, X, 2, 3)).toThrow(/shape/);
  });

  it("rejects matrices that are not positive definite", () => {
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
    expect(() => gaussianMetricMatrix(3, 0)).toThrow(/sigma/);
  });
});
