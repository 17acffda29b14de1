import { describe, expect, it } from "vitest";
import { histogram, numericColumnsOf, pca2 } from "./projection";

describe("projection helpers", () => {
  it("the first component follows the direction of greatest spread", () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ a: i, b: 2 * i + (i % 3), c: "x" }));
    expect(numericColumnsOf(rows, ["a", "b", "c"])).toEqual(["a", "b"]);
    const pts = pca2(rows, ["a", "b"]);
    const spreadX = Math.max(...pts.map((p) => p.x)) - Math.min(...pts.map((p) => p.x));
    const spreadY = Math.max(...pts.map((p) => p.y)) - Math.min(...pts.map((p) => p.y));
    expect(spreadX).toBeGreaterThan(10 * spreadY);
  });
  it("histogram counts every value once", () => {
    const h = histogram([1, 2, 2, 3, 10], 3);
    expect(h.reduce((n, b) => n + b.count, 0)).toBe(5);
    expect(h[h.length - 1].count).toBe(1);
  });
});
