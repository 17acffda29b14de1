/**
 * GT exponentiation for SECRET exponents (the transform secret z, ABS nonces, the encryption
 * randomness derived from d, attribute master secrets): a fixed sequence of operations whose
 * memory accesses do not depend on the exponent (issue #11 item 12).
 *
 * The fast path (gt.ts wasmGtPow, WasmGtTable) skips zero digits and indexes its tables by
 * digit: fine for public exponents, a timing and cache side channel for secret ones. Here:
 *   - k splits into four 64-bit digits (Galbraith-Lin-Scott, as in gt.ts), each read as 16
 *     fixed 4-bit windows, zero windows included;
 *   - per base and sub-base a table of 16 entries y^0..y^15 (y^0 = 1, so a zero window still
 *     multiplies);
 *   - every window: 4 cyclotomic squarings, then per sub-base one lookup that reads ALL 16
 *     entries and keeps one by masking (no index derived from the exponent touches memory),
 *     then one multiplication;
 *   - no early exit: 64 squarings and 64 * (4 * bases) lookups and multiplications for every k.
 *
 * Long-lived bases (e(g1,g2), a VK's e(g1,g2)^alpha_i) take the fixed-base comb at the end of
 * this file instead: same masked lookups, 64 multiplications per base and no squarings.
 *
 * The lookups run in JavaScript over typed arrays (the tables live in JS memory, entries are
 * Montgomery limbs as in gt.ts); the field arithmetic runs in the wasm module, or, without it,
 * in noble (BigInt arithmetic is not constant-time itself: that fallback keeps only the fixed
 * operation sequence and the masked lookups).
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { Fp12 } from "@noble/curves/abstract/tower.js";
import { exponentTrace } from "../trace";
import { cyclotomicSquare } from "../backend/cyclotomic";
import { splitX } from "./gt";
import { type FieldWasm, SIZES, fp12ToLimbs, limbsToFp12 } from "./runtime";

const Fp12F = bls12_381.fields.Fp12;
const W = SIZES.FP12_WORDS;
const WINDOW = 4;
const ENTRIES = 1 << WINDOW; // 16
const WINDOWS = 64 / WINDOW; // 16 per 64-bit digit
const SUB = 4; // Frobenius sub-bases per base
/** Words in one base's table: 4 sub-bases x 16 entries. */
export const SECRET_TABLE_WORDS = SUB * ENTRIES * W;

const step = (s: string) => exponentTrace.hook?.({ path: "secret", step: s });

/**
 * dst = entry `v` of the 16-entry row starting at word `row` of `table`, reading every entry of
 * the row: the mask is all ones for the wanted entry and zero otherwise, computed without a
 * branch. Word-major and unrolled over the 16 entries (masks in locals, dst written once per
 * word): ~2-4 us per scan in Node instead of ~14 us for an entry-major loop.
 */
export function maskedSelectRow(table: Uint32Array, row: number, v: number, dst: Uint32Array, at: number): void {
  const m = (e: number) => ((e ^ v) - 1) >> 31; // -1 (all ones) iff e === v, else 0
  const [m0, m1, m2, m3, m4, m5, m6, m7] = [m(0), m(1), m(2), m(3), m(4), m(5), m(6), m(7)];
  const [m8, m9, m10, m11, m12, m13, m14, m15] = [m(8), m(9), m(10), m(11), m(12), m(13), m(14), m(15)];
  for (let i = 0, o = row; i < W; i++, o++) {
    dst[at + i] =
      (table[o] & m0) |
      (table[o + W] & m1) |
      (table[o + 2 * W] & m2) |
      (table[o + 3 * W] & m3) |
      (table[o + 4 * W] & m4) |
      (table[o + 5 * W] & m5) |
      (table[o + 6 * W] & m6) |
      (table[o + 7 * W] & m7) |
      (table[o + 8 * W] & m8) |
      (table[o + 9 * W] & m9) |
      (table[o + 10 * W] & m10) |
      (table[o + 11 * W] & m11) |
      (table[o + 12 * W] & m12) |
      (table[o + 13 * W] & m13) |
      (table[o + 14 * W] & m14) |
      (table[o + 15 * W] & m15);
  }
  step(`scan:${ENTRIES}`);
}

/** dst = entry `v` of sub-base `sub` of a ladder table (maskedSelectRow over that sub-base). */
export function maskedSelect(table: Uint32Array, sub: number, v: number, dst: Uint32Array, at: number): void {
  maskedSelectRow(table, sub * ENTRIES * W, v, dst, at);
}

/**
 * The 4-bit windows of k's four digits, most significant first: windows[j][i] is window j of
 * digit i. Always 16 x 4 values, whatever k is.
 */
function windowsOf(k: bigint): number[][] {
  const d = splitX(k);
  const out: number[][] = [];
  for (let j = WINDOWS - 1; j >= 0; j--) {
    const sh = BigInt(j * WINDOW);
    out.push(d.map((x) => Number((x >> sh) & 15n)));
  }
  return out;
}

// y^(|x|^i) for y in GT: conj(frob1 y), frob2 y, conj(frob3 y) (p = x mod r, x < 0; see gt.ts).
function subBase(y: Fp12, i: number): Fp12 {
  if (i === 0) return y;
  const f = Fp12F.frobeniusMap(y, i);
  return i === 2 ? f : Fp12F.conjugate(f);
}

/** Table of base a: sub-base i, entry v = (a^(|x|^i))^v, v = 0..15 (entry 0 is 1). */
export function secretTable(a: Fp12, w: FieldWasm | null = null): Uint32Array {
  if (w) return wasmSecretTable(w, a);
  const out = new Uint32Array(SECRET_TABLE_WORDS);
  const powers: Fp12[] = [Fp12F.ONE, a];
  for (let v = 2; v < ENTRIES; v++) powers.push(Fp12F.mul(powers[v - 1], a));
  for (let i = 0; i < SUB; i++) for (let v = 0; v < ENTRIES; v++) fp12ToLimbs(v === 0 ? Fp12F.ONE : subBase(powers[v], i), out, (i * ENTRIES + v) * W);
  return out;
}

/** The same table computed in the wasm module (a transient base, e.g. B in A / B^z, is tabled per call). */
function wasmSecretTable(w: FieldWasm, a: Fp12): Uint32Array {
  const R = regs(w);
  const out = new Uint32Array(SECRET_TABLE_WORDS);
  const one = fp12ToLimbs(Fp12F.ONE);
  for (let i = 0; i < SUB; i++) out.set(one, i * ENTRIES * W);
  const [cur, tmp, base] = [R.acc, R.sel, R.base];
  w.u32.set(fp12ToLimbs(a), base / 4);
  w.fp12_copy(cur, base);
  const save = (i: number, v: number, from: number) => out.set(w.u32.subarray(from / 4, from / 4 + W), (i * ENTRIES + v) * W);
  for (let v = 1; v < ENTRIES; v++) {
    if (v > 1) w.fp12_mul(cur, cur, base);
    save(0, v, cur);
    for (const k of [1, 2, 3] as const) {
      (k === 2 ? w.fp12_frob_even : w.fp12_frob_odd)(tmp, cur, w.layout.frob[k - 1]);
      if (k !== 2) w.fp12_conj(tmp, tmp);
      save(k, v, tmp);
    }
  }
  return out;
}

// Tables of long-lived bases (e(g1,g2), a VK's e(g1,g2)^alpha_i), per object instance.
const tableCache = new WeakMap<Fp12, Uint32Array>();
export function cachedSecretTable(a: Fp12, w: FieldWasm | null = null): Uint32Array {
  let t = tableCache.get(a);
  if (!t) {
    t = secretTable(a, w);
    tableCache.set(a, t);
  }
  return t;
}

type Regs = { acc: number; sel: number; base: number };
const regsCache = new WeakMap<FieldWasm, Regs>();
function regs(w: FieldWasm): Regs {
  let r = regsCache.get(w);
  if (!r) {
    r = { acc: w.alloc(SIZES.FP12_BYTES), sel: w.alloc(SIZES.FP12_BYTES), base: w.alloc(SIZES.FP12_BYTES) };
    regsCache.set(w, r);
  }
  return r;
}

/** prod_t a_t^(k_t) for secret k_t, on the wasm field module. */
export function wasmGtPowSecret(w: FieldWasm, terms: ReadonlyArray<readonly [Uint32Array, bigint]>): Fp12 {
  const R = regs(w);
  const wins = terms.map(([, k]) => windowsOf(k));
  w.u32.fill(0, R.acc / 4, R.acc / 4 + W);
  w.fp_copy(R.acc, w.layout.one);
  for (let j = 0; j < WINDOWS; j++) {
    for (let s = 0; s < WINDOW; s++) {
      w.fp12_cyc_sqr(R.acc, R.acc);
      step("sqr");
    }
    terms.forEach(([table], t) => {
      for (let i = 0; i < SUB; i++) {
        maskedSelect(table, i, wins[t][j][i], w.u32, R.sel / 4);
        w.fp12_mul(R.acc, R.acc, R.sel);
        step("mul");
      }
    });
  }
  return limbsToFp12(w.u32, R.acc / 4);
}

/** The same ladder on noble's Fp12 (no wasm): same sequence, same masked lookups. */
export function nobleGtPowSecret(terms: ReadonlyArray<readonly [Uint32Array, bigint]>): Fp12 {
  const wins = terms.map(([, k]) => windowsOf(k));
  const sel = new Uint32Array(W);
  let acc = Fp12F.ONE;
  for (let j = 0; j < WINDOWS; j++) {
    for (let s = 0; s < WINDOW; s++) {
      acc = cyclotomicSquare(acc);
      step("sqr");
    }
    terms.forEach(([table], t) => {
      for (let i = 0; i < SUB; i++) {
        maskedSelect(table, i, wins[t][j][i], sel, 0);
        acc = Fp12F.mul(acc, limbsToFp12(sel, 0));
        step("mul");
      }
    });
  }
  return acc;
}

// ---------------------------------------------------------------------------------------------
// Fixed-base comb for secret exponents of LONG-LIVED bases (e(g1,g2), a VK's e(g1,g2)^alpha_i).
// No Frobenius split and no squarings: k < r < 2^255 is read as 64 fixed 4-bit windows, and
//   a^k = prod_j (a^(16^j))^(window j of k),
// with row j of the comb holding a^(v * 16^j) for v = 0..15 (entry 0 is 1, so a zero window
// still multiplies). Every exponentiation: 64 masked lookups that read all 16 entries of their
// row, 64 multiplications, nothing else; the same sequence for every k. The table is 64 x 16
// entries (688 KB with wasm limbs), built once per base and cached (cachedSecretComb).
// ---------------------------------------------------------------------------------------------

const COMB_ROWS = 64;
/** Words in one base's comb: 64 rows x 16 entries. */
export const SECRET_COMB_WORDS = COMB_ROWS * ENTRIES * W;

/** The 64 4-bit windows of k (k < 2^256), least significant first; always 64 values. */
function nibblesOf(k: bigint): number[] {
  const out: number[] = new Array<number>(COMB_ROWS);
  for (let j = 0; j < COMB_ROWS; j++) out[j] = Number((k >> BigInt(WINDOW * j)) & 15n);
  return out;
}

/** Comb of base a: row j, entry v = a^(v * 16^j). */
export function secretComb(a: Fp12, w: FieldWasm | null = null): Uint32Array {
  if (w) return wasmSecretComb(w, a);
  const out = new Uint32Array(SECRET_COMB_WORDS);
  let g = a;
  for (let j = 0; j < COMB_ROWS; j++) {
    let cur = Fp12F.ONE;
    for (let v = 0; v < ENTRIES; v++) {
      fp12ToLimbs(cur, out, (j * ENTRIES + v) * W);
      cur = Fp12F.mul(cur, g);
    }
    g = cur; // g^16: the next row's generator
  }
  return out;
}

function wasmSecretComb(w: FieldWasm, a: Fp12): Uint32Array {
  const R = regs(w);
  const out = new Uint32Array(SECRET_COMB_WORDS);
  const one = fp12ToLimbs(Fp12F.ONE);
  const [g, cur] = [R.base, R.acc];
  w.u32.set(fp12ToLimbs(a), g / 4);
  for (let j = 0; j < COMB_ROWS; j++) {
    out.set(one, j * ENTRIES * W);
    w.fp12_copy(cur, g);
    for (let v = 1; v < ENTRIES; v++) {
      if (v > 1) w.fp12_mul(cur, cur, g);
      out.set(w.u32.subarray(cur / 4, cur / 4 + W), (j * ENTRIES + v) * W);
    }
    // Next row's generator g^16, by four cyclotomic squarings (g is in GT).
    for (let s = 0; s < WINDOW; s++) w.fp12_cyc_sqr(g, g);
  }
  return out;
}

const combCache = new WeakMap<Fp12, Uint32Array>();
/** The comb of a long-lived base, per object instance (garbage-collected with it). */
export function cachedSecretComb(a: Fp12, w: FieldWasm | null = null): Uint32Array {
  let t = combCache.get(a);
  if (!t) {
    t = secretComb(a, w);
    combCache.set(a, t);
  }
  return t;
}

/** prod_t a_t^(k_t) for secret k_t over combs, on the wasm field module. */
export function wasmCombPowSecret(w: FieldWasm, terms: ReadonlyArray<readonly [Uint32Array, bigint]>): Fp12 {
  const R = regs(w);
  w.u32.fill(0, R.acc / 4, R.acc / 4 + W);
  w.fp_copy(R.acc, w.layout.one);
  for (const [comb, k] of terms) {
    const nib = nibblesOf(k);
    for (let j = 0; j < COMB_ROWS; j++) {
      maskedSelectRow(comb, j * ENTRIES * W, nib[j], w.u32, R.sel / 4);
      w.fp12_mul(R.acc, R.acc, R.sel);
      step("mul");
    }
  }
  return limbsToFp12(w.u32, R.acc / 4);
}

/** The same comb walk on noble's Fp12 (no wasm): same sequence, same masked lookups. */
export function nobleCombPowSecret(terms: ReadonlyArray<readonly [Uint32Array, bigint]>): Fp12 {
  const sel = new Uint32Array(W);
  let acc = Fp12F.ONE;
  for (const [comb, k] of terms) {
    const nib = nibblesOf(k);
    for (let j = 0; j < COMB_ROWS; j++) {
      maskedSelectRow(comb, j * ENTRIES * W, nib[j], sel, 0);
      acc = Fp12F.mul(acc, limbsToFp12(sel, 0));
      step("mul");
    }
  }
  return acc;
}
