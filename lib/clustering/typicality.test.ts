import { describe, expect, it } from "vitest";
import { mergeTypicality, summarizeTypicality, typicalityView } from "./typicality";

describe("typicality summaries (per cluster, no per-record value)", () => {
  // 4 records, k = 2: typicality[i * n + j]
  const labels = Int32Array.from([0, 1, 0, 1]);
  const typicality = Float64Array.from([0.95, 0.1, 0.42, 0.2, /* cluster 1 */ 0.05, 0.61, 0.3, 1]);

  it("bins each record's typicality to its own cluster and sums them", () => {
    const s = summarizeTypicality(labels, typicality, 2);
    expect(s.bins[0]).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(s.bins[1]).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 1]); // 1.0 goes in the last bin
    expect(s.sums).toEqual([1.37, 1.61]);
  });

  it("merges two summaries and gives means per cluster, null for an empty one", () => {
    const a = summarizeTypicality(labels, typicality, 2);
    const m = mergeTypicality(a, a);
    expect(m.bins[0][4]).toBe(2);
    const view = typicalityView(m, 2);
    expect(view.map((v) => v.mean)).toEqual([0.685, 0.805]);
    expect(typicalityView(summarizeTypicality(Int32Array.from([0]), Float64Array.from([0.5, 0.1]), 2), 2)[1].mean).toBeNull();
    expect(typicalityView(null, 3).every((v) => v.mean === null && v.bins.length === 10)).toBe(true);
    expect(() => mergeTypicality(a, summarizeTypicality(labels, new Float64Array(12), 3))).toThrow();
  });
});
