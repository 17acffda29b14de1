/**
 * Optimal ate pairing on the wasm field module: the Miller loop over noble's precomputed line
 * coefficients (calcPairingPrecomputes, converted once per G2 point) and noble's final
 * exponentiation formula, so results are bit-identical to `bls12_381.pairingBatch`.
 *
 * Exports: WasmLines, wasmLines, wasmPairingProduct.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { Fp12 } from "@noble/curves/abstract/tower.js";
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import type { Fp2 } from "@noble/curves/abstract/tower.js";
import { type FieldWasm, SIZES, copyWords, fp12ToLimbs, limbsToFp12, toMont } from "./runtime";
import { X_ABS } from "./gt";

const { Fp12 } = bls12_381.fields;
const L = SIZES.LIMBS;
const FP2W = 2 * L; // words per Fp2
const LINE_W = 3 * FP2W; // words per line (c0, c1, c2)
const B12 = SIZES.FP12_BYTES;
const W12 = SIZES.FP12_WORDS;

/** Line coefficients of one G2 point in Montgomery limbs: step i has counts[i] lines. */
export type WasmLines = { readonly words: Uint32Array; readonly counts: Uint8Array };

type NobleLines = ReturnType<typeof bls12_381.utils.calcPairingPrecomputes>;

export function wasmLines(ell: NobleLines): WasmLines {
  let total = 0;
  for (const step of ell) total += step.length;
  const words = new Uint32Array(total * LINE_W);
  const counts = new Uint8Array(ell.length);
  let at = 0;
  ell.forEach((step, i) => {
    counts[i] = step.length;
    for (const line of step) {
      for (const c of line as Fp2[]) {
        toMont(c.c0, words, at);
        toMont(c.c1, words, at + L);
        at += FP2W;
      }
    }
  });
  return { words, counts };
}

type Regs = { f: number; o0: number; o1: number; o4: number; c1: number; c2: number; px: number; py: number; t: number[] };
const regsCache = new WeakMap<FieldWasm, Regs>();
function regs(w: FieldWasm): Regs {
  let r = regsCache.get(w);
  if (!r) {
    const F2 = SIZES.FP2_BYTES;
    r = {
      f: w.alloc(B12),
      o0: w.alloc(F2),
      o1: w.alloc(F2),
      o4: w.alloc(F2),
      c1: w.alloc(F2),
      c2: w.alloc(F2),
      px: w.alloc(SIZES.FP_BYTES),
      py: w.alloc(SIZES.FP_BYTES),
      t: Array.from({ length: 10 }, () => w.alloc(B12)),
    };
    regsCache.set(w, r);
  }
  return r;
}

function setOne(w: FieldWasm, addr: number): void {
  w.u32.fill(0, addr / 4, addr / 4 + W12);
  w.fp_copy(addr, w.layout.one);
}

/** prod_i e(P_i, Q_i) for affine G1 points and prepared G2 lines (non-identity inputs). */
export function wasmPairingProduct(w: FieldWasm, pairs: ReadonlyArray<readonly [WeierstrassPoint<bigint>, WasmLines]>): Fp12 {
  const R = regs(w);
  setOne(w, R.f);
  if (pairs.length === 0) return Fp12.ONE;
  const pts = pairs.map(([P]) => P.toAffine());
  const steps = pairs[0][1].counts.length;
  const cursor = pairs.map(() => 0);
  for (let i = 0; i < steps; i++) {
    if (i !== 0) w.fp12_sqr(R.f, R.f);
    pairs.forEach(([, lines], j) => {
      toMont(pts[j].x, w.u32, R.px / 4);
      toMont(pts[j].y, w.u32, R.py / 4);
      for (let n = 0; n < lines.counts[i]; n++) {
        const at = cursor[j];
        cursor[j] += LINE_W;
        copyWords(w.u32, R.o0 / 4, lines.words, at, FP2W);
        copyWords(w.u32, R.c1 / 4, lines.words, at + FP2W, FP2W);
        copyWords(w.u32, R.c2 / 4, lines.words, at + 2 * FP2W, FP2W);
        w.fp2_mul_fp(R.o1, R.c1, R.px); // o1 = c1 * Px
        w.fp2_mul_fp(R.o4, R.c2, R.py); // o4 = c2 * Py
        w.fp12_mul014(R.f, R.f, R.o0, R.o1, R.o4);
      }
    });
  }
  w.fp12_conj(R.f, R.f); // x < 0 for BLS12-381
  return finalExponentiate(w, R);
}

/** f^|x| by cyclotomic square-and-multiply (|x| has six set bits). */
function expAbsX(w: FieldWasm, dst: number, src: number, tmp: number): void {
  w.fp12_copy(tmp, src);
  w.fp12_copy(dst, src);
  for (let bit = 62; bit >= 0; bit--) {
    w.fp12_cyc_sqr(dst, dst);
    if ((X_ABS >> BigInt(bit)) & 1n) w.fp12_mul(dst, dst, tmp);
  }
}
/** f^x = conj(f^|x|) in the cyclotomic subgroup (noble's powMinusX). */
function expX(w: FieldWasm, dst: number, src: number, tmp: number): void {
  expAbsX(w, dst, src, tmp);
  w.fp12_conj(dst, dst);
}

function frob(w: FieldWasm, dst: number, src: number, k: 1 | 2 | 3): void {
  (k === 2 ? w.fp12_frob_even : w.fp12_frob_odd)(dst, src, w.layout.frob[k - 1]);
}

/** noble's BLS12-381 final exponentiation, step by step (same output). */
function finalExponentiate(w: FieldWasm, R: Regs): Fp12 {
  const [t0, t1, t2, t3, t4, t5, t6, t7, u, tmp] = R.t;
  // Easy part: t0 = f^(p^6 - 1) = conj(f) / f; the inverse through noble (one Fp inversion).
  const f = limbsToFp12(w.u32, R.f / 4);
  w.u32.set(fp12ToLimbs(Fp12.inv(f)), t0 / 4);
  w.fp12_conj(u, R.f);
  w.fp12_mul(t0, t0, u);
  frob(w, t1, t0, 2);
  w.fp12_mul(t1, t1, t0); // t1 = t0^(p^2) * t0
  expX(w, t2, t1, tmp); // t2 = t1^x
  w.fp12_cyc_sqr(u, t1);
  w.fp12_conj(u, u);
  w.fp12_mul(t3, u, t2); // t3 = conj(t1^2) * t2
  expX(w, t4, t3, tmp);
  expX(w, t5, t4, tmp);
  expX(w, t6, t5, tmp);
  w.fp12_cyc_sqr(u, t2);
  w.fp12_mul(t6, t6, u); // t6 = t5^x * t2^2
  expX(w, t7, t6, tmp);
  // (t2 t5)^(p^2) * (t4 t1)^(p^3) * (t6 conj(t1))^p * t7 conj(t3) t1
  w.fp12_mul(u, t2, t5);
  frob(w, R.f, u, 2);
  w.fp12_mul(u, t4, t1);
  frob(w, tmp, u, 3);
  w.fp12_mul(R.f, R.f, tmp);
  w.fp12_conj(u, t1);
  w.fp12_mul(u, t6, u);
  frob(w, tmp, u, 1);
  w.fp12_mul(R.f, R.f, tmp);
  w.fp12_conj(u, t3);
  w.fp12_mul(u, t7, u);
  w.fp12_mul(u, u, t1);
  w.fp12_mul(R.f, R.f, u);
  return limbsToFp12(w.u32, R.f / 4);
}
