/**
 * GT exponentiation on the wasm field module.
 *
 * For y in GT (order r, inside the cyclotomic subgroup): y^p = y^x with x = -0xd201000000010000
 * (p = x mod r), so a 255-bit exponent splits into four 64-bit digits k = k0 + k1|x| + k2|x|^2
 * + k3|x|^3 (Galbraith-Lin-Scott) and
 *   y^k = y^k0 * conj(frob1(y))^k1 * frob2(y)^k2 * conj(frob3(y))^k3.
 * Variable base: one joint 4-dimensional square-and-multiply with cyclotomic squarings.
 * Fixed base: comb rows T[j][v] = y^(v 2^(w j)) over 64-bit digits; the four digit products
 * are combined with one Frobenius each.
 *
 * Exports: X_ABS, splitX, WasmGtTable, wasmGtPow, wasmGtPowMulti, wasmIsInGT, gtToWords, wordsToGt.
 */
import type { Fp12 } from "@noble/curves/abstract/tower.js";
import { type FieldWasm, SIZES, copyWords, fp12ToLimbs, limbsToFp12 } from "./runtime";

export const X_ABS = 0xd201000000010000n;
const W = SIZES.FP12_WORDS; // u32 words per Fp12
const BYTES = SIZES.FP12_BYTES;

/** Base-|x| digits of k in [0, r): four values below 2^64. */
export function splitX(k: bigint): [bigint, bigint, bigint, bigint] {
  let e = k;
  const d0 = e % X_ABS;
  e /= X_ABS;
  const d1 = e % X_ABS;
  e /= X_ABS;
  const d2 = e % X_ABS;
  return [d0, d1, d2, e / X_ABS];
}

type Regs = { acc: number; tmp: number; b: number[]; t: number[]; y: number[]; odd: number[][] };
const regsCache = new WeakMap<FieldWasm, Regs>();
function regs(w: FieldWasm): Regs {
  let r = regsCache.get(w);
  if (!r) {
    const al = () => w.alloc(BYTES);
    r = {
      acc: al(),
      tmp: al(),
      b: [al(), al(), al(), al()],
      t: Array.from({ length: 16 }, al),
      y: [al(), al(), al(), al()],
      odd: Array.from({ length: 4 }, () => Array.from({ length: 8 }, al)),
    };
    regsCache.set(w, r);
  }
  return r;
}

export function gtToWords(a: Fp12): Uint32Array {
  return fp12ToLimbs(a);
}
export function wordsToGt(words: Uint32Array, at = 0): Fp12 {
  return limbsToFp12(words, at);
}

function put(w: FieldWasm, addr: number, words: Uint32Array, at = 0): void {
  w.u32.set(words.subarray(at, at + W), addr / 4);
}
function putOne(w: FieldWasm, addr: number): void {
  w.u32.fill(0, addr / 4, addr / 4 + W);
  w.fp_copy(addr, w.layout.one);
}

/** dst = frob^k(src), conjugated when `conj` (frob^k then inverse, since inverse = conj in GT). */
function frobTo(w: FieldWasm, dst: number, src: number, k: 1 | 2 | 3, conj: boolean): void {
  (k === 2 ? w.fp12_frob_even : w.fp12_frob_odd)(dst, src, w.layout.frob[k - 1]);
  if (conj) w.fp12_conj(dst, dst);
}

/** acc = y0 * conj(frob1 y1) * frob2 y2 * conj(frob3 y3); each y_i a register or null (= 1). */
function recombine(w: FieldWasm, R: Regs, ys: (number | null)[], out: number): void {
  let have = false;
  const mulIn = (src: number) => {
    if (have) w.fp12_mul(out, out, src);
    else w.fp12_copy(out, src);
    have = true;
  };
  if (ys[0] !== null) mulIn(ys[0]);
  const ks = [1, 2, 3] as const;
  for (const k of ks) {
    const y = ys[k];
    if (y === null) continue;
    frobTo(w, R.tmp, y, k, k !== 2);
    mulIn(R.tmp);
  }
  if (!have) putOne(w, out);
}

/** Width-5 NAF of a 64-bit digit, least significant first (odd digits, |d| <= 15). */
function wnaf5(k: bigint): number[] {
  const out: number[] = [];
  while (k > 0n) {
    if (k & 1n) {
      let d = Number(k & 31n);
      if (d >= 16) d -= 32;
      k -= BigInt(d);
      out.push(d);
    } else out.push(0);
    k >>= 1n;
  }
  return out;
}

/**
 * a^k for a in GT, k in [0, r): four 64-bit digits (Frobenius split), each in width-5 NAF,
 * one shared chain of 64 cyclotomic squarings. The odd powers a, a^3, ..., a^15 are computed
 * once; those of the other three bases are their Frobenius images (cheaper than products).
 * Negative digits use the conjugate (the inverse in GT).
 */
export function wasmGtPow(w: FieldWasm, a: Fp12, k: bigint, then?: { invert?: boolean; times?: Fp12 }): Fp12 {
  const R = regs(w);
  const d = splitX(k).map(wnaf5);
  const o = R.odd;
  put(w, o[0][0], gtToWords(a));
  w.fp12_cyc_sqr(R.tmp, o[0][0]);
  for (let i = 1; i < 8; i++) w.fp12_mul(o[0][i], o[0][i - 1], R.tmp);
  for (let i = 0; i < 8; i++) {
    frobTo(w, o[1][i], o[0][i], 1, true); // (a^j)^|x|
    frobTo(w, o[2][i], o[0][i], 2, false); // (a^j)^(|x|^2)
    frobTo(w, o[3][i], o[0][i], 3, true); // (a^j)^(|x|^3)
  }
  const n = Math.max(...d.map((x) => x.length));
  let started = false;
  for (let bit = n - 1; bit >= 0; bit--) {
    if (started) w.fp12_cyc_sqr(R.acc, R.acc);
    for (let j = 0; j < 4; j++) {
      const v = d[j][bit] ?? 0;
      if (!v) continue;
      let src = o[j][(Math.abs(v) - 1) >> 1];
      if (v < 0) {
        w.fp12_conj(R.tmp, src);
        src = R.tmp;
      }
      if (started) w.fp12_mul(R.acc, R.acc, src);
      else w.fp12_copy(R.acc, src);
      started = true;
    }
  }
  if (!started) putOne(w, R.acc);
  // Optional epilogue in wasm: times * (a^k)^(+/-1), saving a round trip through noble.
  if (then?.invert) w.fp12_conj(R.acc, R.acc);
  if (then?.times) {
    put(w, R.tmp, gtToWords(then.times));
    w.fp12_mul(R.acc, R.acc, R.tmp);
  }
  return wordsToGt(w.u32, R.acc / 4);
}

/** Fixed-base comb table kept in JavaScript memory (copied into wasm per lookup). */
export class WasmGtTable {
  readonly window: number;
  readonly rows: number;
  private readonly words: Uint32Array;

  constructor(w: FieldWasm, base: Fp12, window: number) {
    this.window = window;
    this.rows = Math.ceil(64 / window);
    const per = (1 << window) - 1;
    this.words = new Uint32Array(this.rows * per * W);
    const R = regs(w);
    // R.b[0] holds g_j = base^(2^(w j)); R.acc walks g_j, g_j^2, ..., g_j^(2^w - 1).
    put(w, R.b[0], gtToWords(base));
    for (let j = 0; j < this.rows; j++) {
      w.fp12_copy(R.acc, R.b[0]);
      for (let v = 1; v <= per; v++) {
        if (v > 1) w.fp12_mul(R.acc, R.acc, R.b[0]);
        this.words.set(w.u32.subarray(R.acc / 4, R.acc / 4 + W), ((j * per + v - 1) * W) | 0);
      }
      for (let s = 0; s < window; s++) w.fp12_cyc_sqr(R.b[0], R.b[0]);
    }
  }

  /** Multiply the digit's table entries into register `acc`; returns whether acc was set. */
  digitInto(w: FieldWasm, R: { tmp: number }, d: bigint, acc: number, have: boolean): boolean {
    const per = (1 << this.window) - 1;
    const mask = BigInt(per);
    const wb = BigInt(this.window);
    for (let j = 0; d > 0n; j++, d >>= wb) {
      const v = Number(d & mask);
      if (!v) continue;
      const at = (j * per + v - 1) * W;
      if (have) {
        copyWords(w.u32, R.tmp / 4, this.words, at, W);
        w.fp12_mul(acc, acc, R.tmp);
      } else {
        copyWords(w.u32, acc / 4, this.words, at, W);
        have = true;
      }
    }
    return have;
  }
}

/** prod_i base_i^(k_i) over fixed-base tables, with one shared Frobenius recombination. */
export function wasmGtPowMulti(w: FieldWasm, terms: ReadonlyArray<readonly [WasmGtTable, bigint]>): Fp12 {
  const R = regs(w);
  powInto(w, R, terms, R.acc);
  return wordsToGt(w.u32, R.acc / 4);
}

/** out = prod base_i^(k_i) (fixed-base tables, shared recombination); out must not be y/tmp. */
function powInto(w: FieldWasm, R: Regs, terms: ReadonlyArray<readonly [WasmGtTable, bigint]>, out: number): void {
  const have = [false, false, false, false];
  for (const [t, k] of terms) {
    const d = splitX(k);
    for (let i = 0; i < 4; i++) have[i] = t.digitInto(w, { tmp: R.tmp }, d[i], R.y[i], have[i]);
  }
  recombine(
    w,
    R,
    R.y.map((y, i) => (have[i] ? y : null)),
    out,
  );
}

/**
 * Ciphertext rows C1_x = egg^lambda_x * base_x^r_x together with K = egg^s, where s is given by
 * coefficients c_x in {1, -1} with s = sum c_x lambda_x (AND/OR policies): computing egg^lambda_x
 * and base_x^r_x separately costs one extra recombination per row but replaces the separate
 * exponentiation for K by N - 1 multiplications, a gain for small N.
 */
export function wasmGtRowsWithK(
  w: FieldWasm,
  egg: WasmGtTable,
  rows: ReadonlyArray<readonly [bigint, WasmGtTable, bigint]>,
  coeffs: readonly (1 | -1 | 0)[],
): { C1: Fp12[]; K: Fp12 } {
  const R = regs(w);
  const [E, Kacc] = [R.b[0], R.b[1]];
  let haveK = false;
  const C1: Fp12[] = [];
  rows.forEach(([lambda, base, r], x) => {
    powInto(w, R, [[egg, lambda]], E); // egg^lambda_x
    powInto(w, R, [[base, r]], R.acc); // base^r_x
    const c = coeffs[x];
    if (c) {
      if (c < 0) w.fp12_conj(R.b[2], E);
      const src = c < 0 ? R.b[2] : E;
      if (haveK) w.fp12_mul(Kacc, Kacc, src);
      else w.fp12_copy(Kacc, src);
      haveK = true;
    }
    w.fp12_mul(R.acc, R.acc, E);
    C1.push(wordsToGt(w.u32, R.acc / 4));
  });
  if (!haveK) putOne(w, Kacc);
  return { C1, K: wordsToGt(w.u32, Kacc / 4) };
}

/** prod xs, accumulated in wasm (one conversion out instead of noble Fp12 multiplications). */
export function wasmGtProduct(w: FieldWasm, xs: readonly Fp12[]): Fp12 {
  const R = regs(w);
  if (xs.length === 0) {
    putOne(w, R.acc);
  } else {
    put(w, R.acc, gtToWords(xs[0]));
    for (let i = 1; i < xs.length; i++) {
      put(w, R.tmp, gtToWords(xs[i]));
      w.fp12_mul(R.acc, R.acc, R.tmp);
    }
  }
  return wordsToGt(w.u32, R.acc / 4);
}

/**
 * GT membership (see group.ts isInGT): cyclotomic (a^(p^4) a = a^(p^2)) and a^p = a^x.
 * The caller has already checked that a is a nonzero canonical Fp12 element.
 */
export function wasmIsInGT(w: FieldWasm, a: Fp12): boolean {
  const R = regs(w);
  put(w, R.b[0], gtToWords(a));
  frobTo(w, R.b[1], R.b[0], 2, false); // a^(p^2)
  frobTo(w, R.b[2], R.b[1], 2, false); // a^(p^4)
  w.fp12_mul(R.b[2], R.b[2], R.b[0]);
  if (!eq12(w, R.b[2], R.b[1])) return false;
  // a^|x| by cyclotomic square-and-multiply (|x| has 6 set bits), then conj for x < 0.
  w.fp12_copy(R.acc, R.b[0]);
  for (let bit = 62; bit >= 0; bit--) {
    w.fp12_cyc_sqr(R.acc, R.acc);
    if ((X_ABS >> BigInt(bit)) & 1n) w.fp12_mul(R.acc, R.acc, R.b[0]);
  }
  w.fp12_conj(R.acc, R.acc);
  frobTo(w, R.b[3], R.b[0], 1, false);
  return eq12(w, R.acc, R.b[3]);
}

function eq12(w: FieldWasm, a: number, b: number): boolean {
  for (let i = 0; i < 12; i++) if (!w.fp_eq(a + i * SIZES.FP_BYTES, b + i * SIZES.FP_BYTES)) return false;
  return true;
}
