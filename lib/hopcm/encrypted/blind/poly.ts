/**
 * A Chebyshev series evaluated on a CKKS ciphertext, slot-wise: the building block of the blind
 * protocol's per-record steps (issue #14; docs/design/blind-clustering.md, "One iteration", step 2).
 * Baby-step giant-step in the Chebyshev basis (the Paterson-Stockmeyer idea): the baby steps
 * T_1..T_m, the giant steps T_m, T_2m, T_4m, ..., and the series split recursively by the giant
 * steps (chebyshev.ts divideByT), so a degree-31 series costs 11 ciphertext products and
 * 7 levels (one for the map of [a, b] onto [-1, 1]) instead of 30 products.
 *
 * Scales are exact: a ciphertext is never relabelled to another scale (with 40-bit primes that
 * costs up to 6e-5 relative error, measured). Each plaintext constant that multiplies is encoded
 * at the scale that makes the product land, after the rescale, on the scale the sum needs (the
 * target scale is handed down the recursion), and T_1 is brought to a product's scale by a
 * plaintext 1 where an odd Chebyshev polynomial subtracts it. The result has the input's scale.
 *
 * Not yet used by a run: it is measured here (poly.test.ts) for the protocol that will use it.
 */
import type { Context } from "node-seal/implementation/context";
import type { CKKSEncoder } from "node-seal/implementation/ckks-encoder";
import type { Evaluator } from "node-seal/implementation/evaluator";
import type { RelinKeys } from "node-seal/implementation/relin-keys";
import type { CipherText, PlainText, Seal } from "../params";
import { CkksArith } from "./arith";
import { divideByT, type ChebyshevSeries } from "./chebyshev";

export interface PolyTools {
  seal: Seal;
  context: Context;
  encoder: CKKSEncoder;
  evaluator: Evaluator;
  relinKeys: RelinKeys;
}

/** What one evaluation cost: ciphertext products (each relinearised and rescaled) and levels used. */
export interface PolyCost {
  products: number;
  levels: number;
}

type Value = CipherText | number; // a number: a constant polynomial (no ciphertext needed)

export function evalSeriesEncrypted(tools: PolyTools, x: CipherText, series: ChebyshevSeries, baby = 8): { ct: CipherText; cost: PolyCost } {
  const { evaluator } = tools;
  const arith = new CkksArith(tools);
  const startLevel = x.coeffModulusSize;
  const fresh = () => arith.fresh();
  const lastPrime = (ct: CipherText) => arith.lastPrime(ct);
  const constant = (value: number, scale: number, ct: CipherText): PlainText => arith.plain(value, scale, ct);
  /** A copy of `ct` at `level` primes (no copy if already there). */
  const at = (ct: CipherText, level: number) => arith.down(ct, level);
  /** `ct` at `target` scale exactly, one level lower (a plaintext 1 encoded at the dropped prime times target / scale). */
  const toScale = (ct: CipherText, target: number) => arith.scaled(ct, 1, target);
  /** Products a * b (relinearised, rescaled) at the lower of their levels; scale a.scale * b.scale / dropped prime. */
  const mul = (a: CipherText, b: CipherText) => arith.mul(a, b);
  /** a + sign * b for ciphertexts of exactly equal scale (asserted: no relabelling anywhere), at the lower level. */
  const combineExact = (a: CipherText, b: CipherText, sign: 1 | -1) => {
    const level = Math.min(a.coeffModulusSize, b.coeffModulusSize);
    const x1 = at(a, level);
    const y1 = at(b, level);
    if (x1.scale !== y1.scale) throw new Error(`scales differ: ${x1.scale} and ${y1.scale}`);
    const out = fresh();
    if (sign === 1) evaluator.add(x1, y1, out);
    else evaluator.sub(x1, y1, out);
    return out;
  };
  const addConst = (a: CipherText, c: number) => {
    if (c === 0) return a;
    const out = fresh();
    evaluator.addPlain(a, constant(c, a.scale, a), out);
    return out;
  };
  const twice = (a: CipherText) => {
    const out = fresh();
    evaluator.add(a, a, out);
    return out;
  };

  const degreeOf = series.c.length - 1;
  const babyOf = Math.min(baby, Math.max(1, degreeOf));
  const needed = 2 + Math.ceil(Math.log2(babyOf)) + Math.max(0, Math.ceil(Math.log2((degreeOf + 1) / babyOf)));
  if (startLevel - 1 < needed)
    throw new RangeError(`a degree-${degreeOf} series needs ${needed} levels; the ciphertext has ${startLevel - 1} left (refresh it first)`);

  // y = (2x - (a + b)) / (b - a): one level.
  const scaled = fresh();
  evaluator.multiplyPlain(x, constant(2 / (series.b - series.a), lastPrime(x), x), scaled);
  evaluator.rescaleToNext(scaled, scaled);
  const y = addConst(scaled, -(series.a + series.b) / (series.b - series.a));
  const degree = series.c.length - 1;
  const m = Math.min(baby, Math.max(1, degree));
  const T: CipherText[] = [];
  T[1] = y;
  const chebAt = (i: number): CipherText => {
    if (T[i]) return T[i];
    // T_2k = 2 T_k^2 - 1, T_2k+1 = 2 T_k+1 T_k - T_1 (T_1 brought to the product's scale exactly)
    const h = Math.ceil(i / 2);
    const product = twice(mul(chebAt(h), chebAt(i - h)));
    T[i] = i % 2 === 0 ? addConst(product, -1) : combineExact(product, toScale(T[1], product.scale), -1);
    return T[i];
  };
  for (let i = 2; i <= m; i++) chebAt(i);
  const giants: number[] = [];
  for (let g = m; g <= degree; g *= 2) giants.push(g);
  for (const g of giants) chebAt(g);
  const babyLevel = T[m].coeffModulusSize; // the baby steps' combinations are all made here
  const giantFor = (length: number) => [...giants].reverse().find((g) => g < length && length <= 2 * g)!;
  /** The level evaluate() leaves a series of this length at. */
  const levelOf = (length: number): number => {
    if (length <= m) return babyLevel - 1;
    const g = giantFor(length);
    return Math.min(length - g > 1 ? levelOf(length - g) : T[g].coeffModulusSize, T[g].coeffModulusSize) - 1;
  };

  /** sum_j c_j T_j for a series shorter than the baby steps, at scale exactly S: one plaintext product per term, one rescale. */
  const babyCombination = (c: Float64Array, S: number): Value => {
    const terms = [...c.keys()].filter((j) => j >= 1 && c[j] !== 0);
    if (terms.length === 0) return c[0] ?? 0;
    const q = lastPrime(at(T[m], babyLevel));
    let sum: CipherText | null = null;
    for (const j of terms) {
      const tj = at(T[j], babyLevel);
      const term = fresh();
      evaluator.multiplyPlain(tj, constant(c[j], (q * S) / tj.scale, tj), term);
      if (sum) evaluator.add(sum, term, sum);
      else sum = term;
    }
    evaluator.rescaleToNext(sum!, sum!);
    return addConst(sum!, c[0]);
  };
  /** The series at scale exactly S (a number when it is a constant). */
  const evaluate = (c: Float64Array, S: number): Value => {
    if (c.length <= m) return babyCombination(c, S);
    const g = giantFor(c.length);
    const { q, r } = divideByT(c, g);
    const tg = T[g];
    const productLevel = Math.min(q.length > 1 ? levelOf(q.length) : tg.coeffModulusSize, tg.coeffModulusSize);
    const dropped = lastPrime(at(tg, productLevel));
    let qt: CipherText;
    if (q.length === 1) {
      qt = fresh();
      const tgAt = at(tg, productLevel);
      evaluator.multiplyPlain(tgAt, constant(q[0], (dropped * S) / tgAt.scale, tgAt), qt);
      evaluator.rescaleToNext(qt, qt);
    } else {
      const Q = evaluate(q, (S * dropped) / tg.scale);
      if (typeof Q === "number") throw new Error("a series of length > 1 evaluated to a constant");
      qt = mul(Q, tg);
    }
    const R = evaluate(r, S);
    return typeof R === "number" ? addConst(qt, R) : combineExact(qt, R, 1);
  };

  const result = evaluate(series.c, x.scale);
  if (typeof result === "number") throw new RangeError("a constant series needs no ciphertext");
  const cost: PolyCost = { products: arith.products, levels: startLevel - result.coeffModulusSize };
  const keep = tools.seal.CipherText();
  keep.copy(result);
  arith.free();
  return { ct: keep, cost };
}
