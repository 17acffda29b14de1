import { describe, expect, it } from "vitest";
import { niceAxis } from "./nice-axis";

const evenlySpaced = (ticks: number[]) => ticks.slice(1).map((t, i) => Number((t - ticks[i]).toPrecision(10)));

describe("niceAxis", () => {
  it("fits a slowly falling objective instead of starting at zero", () => {
    const objective = [1284.7, 1190.2, 1163.9, 1158.4, 1157.9, 1157.8];
    const { domain, ticks } = niceAxis(objective);
    expect(domain[0]).toBeGreaterThan(1000);
    expect(domain[0]).toBeLessThanOrEqual(1157.8);
    expect(domain[1]).toBeGreaterThanOrEqual(1284.7);
    expect(domain[1]).toBeLessThan(1400);
    expect(new Set(evenlySpaced(ticks)).size).toBe(1);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.length).toBeLessThanOrEqual(8);
  });

  it("uses steps of 1, 2, 2.5 or 5 times a power of ten, without floating-point noise", () => {
    for (const [lo, hi] of [
      [0.1, 0.7],
      [3, 97],
      [0.0012, 0.0049],
      [-40, 15],
      [12_000, 530_000],
    ]) {
      const { ticks, step } = niceAxis([lo, hi]);
      const mantissa = step / 10 ** Math.floor(Math.log10(step));
      expect([1, 2, 2.5, 5]).toContain(Number(mantissa.toPrecision(6)));
      for (const t of ticks) expect(String(t)).not.toMatch(/0000000|9999999/);
      expect(ticks[0]).toBeLessThanOrEqual(lo);
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(hi);
      expect(new Set(evenlySpaced(ticks)).size).toBe(1);
    }
  });

  it("gives a flat or empty series a range around its value", () => {
    expect(niceAxis([42, 42]).domain[0]).toBeLessThan(42);
    expect(niceAxis([42, 42]).domain[1]).toBeGreaterThan(42);
    expect(niceAxis([]).domain).toEqual([0, 1]);
    expect(niceAxis([0]).domain[0]).toBeLessThan(0);
  });
});
