import { describe, expect, it } from "vitest";
import { applyUnits, isIdentity, pooledStats, runUnits, standardize, type ColumnStats } from "./units";
import { makeBlobs } from "./synthetic";

const { X, p } = makeBlobs(300, 3, 2, { seed: 4 });
const cut = 110;
const A = standardize(X.subarray(0, cut * p), cut, p);
const B = standardize(X.subarray(cut * p), 300 - cut, p);
const all = standardize(X, 300, p);

describe("run-wide units for separately standardised uploads", () => {
  it("pools the uploads' statistics exactly", () => {
    const pooled = pooledStats([A.stats, B.stats]);
    for (let l = 0; l < p; l++) {
      expect(pooled.mean[l]).toBeCloseTo(all.stats.mean[l], 12);
      expect(pooled.sd[l]).toBeCloseTo(all.stats.sd[l], 12);
    }
  });

  it("maps each upload's z-scores to the z-scores of the whole run", () => {
    const { units, reference } = runUnits([A.stats, B.stats]);
    const Z = new Float64Array(300 * p);
    Z.set(applyUnits(A.Z, cut, p, units[0]), 0);
    Z.set(applyUnits(B.Z, 300 - cut, p, units[1]), cut * p);
    for (let t = 0; t < Z.length; t++) expect(Z[t]).toBeCloseTo(all.Z[t], 12);
    // an extension keeps the run's reference: a new upload lands in the same units
    const C = standardize(X.subarray(0, 50 * p), 50, p);
    const later = runUnits([C.stats], reference).units[0];
    const Zc = applyUnits(C.Z, 50, p, later);
    for (let t = 0; t < Zc.length; t++) expect(Zc[t]).toBeCloseTo(all.Z[t], 12);
  });

  it("one upload alone is exactly the identity; constant columns keep scale 1", () => {
    expect(isIdentity(runUnits([A.stats]).units[0])).toBe(true);
    const constant: ColumnStats = { n: 5, mean: Float64Array.of(2, 7), sd: Float64Array.of(0, 1) };
    const other: ColumnStats = { n: 5, mean: Float64Array.of(4, 7), sd: Float64Array.of(1, 1) };
    const { units } = runUnits([constant, other]);
    expect(units[0].scale[0]).toBe(1);
    expect(units[0].shift[0]).toBeCloseTo((2 - 3) / Math.sqrt(0.5 * 0 + 0.5 * 1 + 1), 12);
  });
});
