// The blind protocol's typicality step, measured before the protocol uses it (issue #14):
// 1/(1 + t) on [0, 64] as a degree-31 Chebyshev series, in float64 and on a CKKS ciphertext at
// N = 16384 (128-bit security), against each other and against the function.
import { describe, expect, it } from "vitest";
import { loadSealNode } from "../seal-node";
import { chebyshevSeries, divideByT, evalChebyshevBasis, evalSeries } from "./chebyshev";
import { blindCkks } from "./context";
import { evalSeriesEncrypted } from "./poly";

const typicality = (t: number) => 1 / (1 + t);
const T_MAX = 64;

describe("Chebyshev series (plaintext)", () => {
  it("1/(1 + t) on [0, 64] at degree 31: the approximation error the protocol starts from", () => {
    const s = chebyshevSeries(typicality, 0, T_MAX, 31);
    let worst = 0;
    for (let i = 0; i <= 6400; i++) worst = Math.max(worst, Math.abs(evalSeries(s, i / 100) - typicality(i / 100)));
    console.log(`1/(1+t) on [0, ${T_MAX}], degree 31: max error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(2e-3);
    // and a series approximates a polynomial of its own degree exactly
    const cubic = chebyshevSeries((x) => x * x * x - 2 * x, -3, 5, 3);
    expect(Math.abs(evalSeries(cubic, 1.5) - (1.5 ** 3 - 3))).toBeLessThan(1e-12);
  });

  it("divideByT: p = q T_g + r, for every y", () => {
    const c = Float64Array.from({ length: 27 }, (_, j) => Math.sin(j + 1));
    const { q, r } = divideByT(c, 16);
    for (const y of [-1, -0.3, 0, 0.42, 1]) {
      const tg = Math.cos(16 * Math.acos(y));
      expect(evalChebyshevBasis(q, y) * tg + evalChebyshevBasis(r, y)).toBeCloseTo(evalChebyshevBasis(c, y), 10);
    }
    expect(() => divideByT(c, 8)).toThrow(RangeError);
  });
});

describe("Chebyshev series on a CKKS ciphertext (N = 16384)", () => {
  it("matches the float64 series slot by slot, in 11 products and 7 levels", async () => {
    const seal = await loadSealNode();
    const { context, relinKeys, encoder, evaluator, encryptor, decryptor, dispose } = blindCkks(seal);
    const slots = encoder.slotCount;
    const t = Float64Array.from({ length: slots }, (_, i) => (i === 0 ? 0 : i === 1 ? T_MAX : (((i * 2654435761) % 2 ** 32) / 2 ** 32) * T_MAX));
    const x = encryptor.encrypt(encoder.encode(t, 2 ** 40)!)!;
    const series = chebyshevSeries(typicality, 0, T_MAX, 31);

    const started = performance.now();
    const { ct, cost } = evalSeriesEncrypted({ seal, context, encoder, evaluator, relinKeys }, x, series);
    const ms = performance.now() - started;
    const out = encoder.decode(decryptor.decrypt(ct)!) as Float64Array;
    let vsSeries = 0;
    let vsFunction = 0;
    for (let i = 0; i < slots; i++) {
      vsSeries = Math.max(vsSeries, Math.abs(out[i] - evalSeries(series, t[i])));
      vsFunction = Math.max(vsFunction, Math.abs(out[i] - typicality(t[i])));
    }
    console.log(
      `degree 31 on ${slots} slots: ${ms.toFixed(0)} ms, ${cost.products} products, ${cost.levels} levels; ` +
        `max error vs the float64 series ${vsSeries.toExponential(2)}, vs 1/(1+t) ${vsFunction.toExponential(2)}`,
    );
    expect(cost).toEqual({ products: 11, levels: 7 });
    // a ciphertext without the levels is refused with the reason, before any work
    const low = x.clone();
    evaluator.cipherModSwitchToNext(low, low);
    evaluator.cipherModSwitchToNext(low, low);
    expect(() => evalSeriesEncrypted({ seal, context, encoder, evaluator, relinKeys }, low, series)).toThrow(/needs 7 levels; the ciphertext has 5 left/);
    low.delete();
    expect(vsSeries).toBeLessThan(1e-6); // measured 2e-7 (with scales relabelled instead of kept exact: 7e-5)
    expect(vsFunction).toBeLessThan(2e-3);
    ct.delete();
    x.delete();
    dispose();
  });
});
