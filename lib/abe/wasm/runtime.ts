/**
 * Loads the prebuilt field module (field-module.generated.ts, written by `npm run gen:wasm`;
 * synchronously, on first use) and converts between noble's
 * bigint representation and Montgomery limbs in wasm memory.
 *
 * If WebAssembly is unavailable (or blocked, e.g. by a Content-Security-Policy without
 * 'wasm-unsafe-eval'), `fieldWasm()` returns null and callers fall back to noble.
 *
 * Exports: FieldWasm, fieldWasm, fieldModuleBytes, toMont, fromMont, WASM_DISABLED (test hook).
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { Fp12, Fp2 } from "@noble/curves/abstract/tower.js";
import { FIELD_MODULE_BASE64, FIELD_MODULE_LAYOUT } from "./field-module.generated";
import { FP12_BYTES, FP2_BYTES, FP6_BYTES, FP_BYTES, LIMBS, LIMB_BITS, type Layout } from "./layout";

const { Fp, Fp2: Fp2F } = bls12_381.fields;
const P = Fp.ORDER;
const R = 1n << BigInt(LIMBS * LIMB_BITS);
const R_MOD_P = R % P;
const R_INV = Fp.inv(R_MOD_P);
const MASK = (1n << BigInt(LIMB_BITS)) - 1n;
const MASK_N = Number(MASK);

type Fn3 = (r: number, a: number, b: number) => void;
type Fn2 = (r: number, a: number) => void;
type Status3 = (r: number, a: number, b: number) => number;

export type FieldWasm = {
  readonly u32: Uint32Array;
  readonly layout: Layout;
  readonly fp_mul: Fn3;
  readonly fp_sqr: Fn2;
  readonly fp_pow_sqrt_ratio: Fn2;
  readonly fp_pow_sqrt: Fn2;
  readonly fp_add: Fn3;
  readonly fp_sub: Fn3;
  readonly fp_copy: Fn2;
  readonly fp_is_zero: (a: number) => number;
  readonly fp_eq: (a: number, b: number) => number;
  readonly fp2_mul: Fn3;
  readonly fp2_sqr: Fn2;
  readonly fp2_add: Fn3;
  readonly fp2_sub: Fn3;
  readonly fp2_neg: Fn2;
  readonly fp2_copy: Fn2;
  readonly fp2_mul_fp: Fn3;
  readonly fp12_mul: Fn3;
  readonly fp12_sqr: Fn2;
  readonly fp12_cyc_sqr: Fn2;
  readonly fp12_conj: Fn2;
  readonly fp12_copy: Fn2;
  readonly fp12_frob_odd: Fn3;
  readonly fp12_frob_even: Fn3;
  readonly fp12_mul014: (r: number, f: number, o0: number, o1: number, o4: number) => void;
  readonly g1_dbl: Fn2;
  readonly g1_madd: Status3;
  readonly g1_add: Status3;
  readonly g2_dbl: Fn2;
  readonly g2_madd: Status3;
  readonly g2_add: Status3;
  /** Bump allocator over the heap for long-lived registers (never freed). */
  alloc(bytes: number): number;
};

/** Test hook: force the noble fallback. */
export const WASM_DISABLED = { value: false };

let instance: FieldWasm | null | undefined;

/** Montgomery limbs of x (x < p). */
export function toMont(x: bigint, out: Uint32Array = new Uint32Array(LIMBS), at = 0): Uint32Array {
  let y = (x * R_MOD_P) % P;
  for (let i = 0; i < LIMBS; i++) {
    out[at + i] = Number(y & MASK);
    y >>= BigInt(LIMB_BITS);
  }
  return out;
}

/** The field element stored as Montgomery limbs at u32 index `at`. */
export function fromMont(u32: Uint32Array, at: number): bigint {
  // Combine 28-bit limbs in two 56-bit halves per step to keep BigInt work small.
  let y = 0n;
  for (let i = LIMBS - 1; i >= 0; i--) y = (y << BigInt(LIMB_BITS)) | BigInt(u32[at + i] & MASK_N);
  return (y * R_INV) % P;
}

function frobeniusConstants(): Fp2[][] {
  const xi: Fp2 = Fp2F.create({ c0: 1n, c1: 1n });
  const out: Fp2[][] = [];
  for (let k = 1; k <= 3; k++) {
    const gamma = Fp2F.pow(xi, (P ** BigInt(k) - 1n) / 6n);
    const pows: Fp2[] = [gamma];
    for (let e = 2; e <= 5; e++) pows.push(Fp2F.mul(pows[e - 2], gamma));
    out.push(pows);
  }
  return out;
}

/** The checked-in module bytes (atob: available in browsers, workers and Node >= 16). */
export function fieldModuleBytes(): Uint8Array {
  return Uint8Array.from(atob(FIELD_MODULE_BASE64), (c) => c.charCodeAt(0));
}

function load(): FieldWasm | null {
  if (WASM_DISABLED.value) return null;
  if (typeof WebAssembly !== "object" || typeof WebAssembly.Module !== "function") return null;
  let exports: WebAssembly.Exports;
  const layout: Layout = FIELD_MODULE_LAYOUT;
  try {
    // Synchronous compile: the module is far below the 8 MB main-thread limit of current browsers.
    const mod = new WebAssembly.Module(fieldModuleBytes() as BufferSource);
    exports = new WebAssembly.Instance(mod, {}).exports;
  } catch {
    return null;
  }
  const memory = exports.memory as WebAssembly.Memory;
  const u32 = new Uint32Array(memory.buffer);
  toMont(1n, u32, layout.one / 4);
  const consts = frobeniusConstants();
  consts.forEach((pows, k) =>
    pows.forEach((g, e) => {
      const at = (layout.frob[k] + e * FP2_BYTES) / 4;
      toMont(g.c0, u32, at);
      toMont(g.c1, u32, at + LIMBS);
    }),
  );
  let heapTop = layout.heap;
  const fn = <T>(name: string): T => exports[name] as unknown as T;
  return {
    u32,
    layout,
    fp_mul: fn("fp_mul"),
    fp_sqr: fn("fp_sqr"),
    fp_pow_sqrt_ratio: fn("fp_pow_sqrt_ratio"),
    fp_pow_sqrt: fn("fp_pow_sqrt"),
    fp_add: fn("fp_add"),
    fp_sub: fn("fp_sub"),
    fp_copy: fn("fp_copy"),
    fp_is_zero: fn("fp_is_zero"),
    fp_eq: fn("fp_eq"),
    fp2_mul: fn("fp2_mul"),
    fp2_sqr: fn("fp2_sqr"),
    fp2_add: fn("fp2_add"),
    fp2_sub: fn("fp2_sub"),
    fp2_neg: fn("fp2_neg"),
    fp2_copy: fn("fp2_copy"),
    fp2_mul_fp: fn("fp2_mul_fp"),
    fp12_mul: fn("fp12_mul"),
    fp12_sqr: fn("fp12_sqr"),
    fp12_cyc_sqr: fn("fp12_cyc_sqr"),
    fp12_conj: fn("fp12_conj"),
    fp12_copy: fn("fp12_copy"),
    fp12_frob_odd: fn("fp12_frob_odd"),
    fp12_frob_even: fn("fp12_frob_even"),
    fp12_mul014: fn("fp12_mul014"),
    g1_dbl: fn("g1_dbl"),
    g1_madd: fn("g1_madd"),
    g1_add: fn("g1_add"),
    g2_dbl: fn("g2_dbl"),
    g2_madd: fn("g2_madd"),
    g2_add: fn("g2_add"),
    alloc(bytes: number): number {
      const a = heapTop;
      heapTop += (bytes + 63) & ~63;
      if (heapTop > layout.memBytes) throw new Error("wasm heap exhausted");
      return a;
    },
  };
}

/** The field module, instantiated on first call; null when WebAssembly cannot be used. */
export function fieldWasm(): FieldWasm | null {
  if (WASM_DISABLED.value) return null;
  if (instance === undefined) instance = load();
  return instance;
}

// ---- element transfer ------------------------------------------------------------------------

export function writeFp(w: FieldWasm, addr: number, x: bigint): void {
  toMont(x, w.u32, addr / 4);
}
export function readFp(w: FieldWasm, addr: number): bigint {
  return fromMont(w.u32, addr / 4);
}
export function writeFp2(w: FieldWasm, addr: number, x: Fp2): void {
  writeFp(w, addr, x.c0);
  writeFp(w, addr + FP_BYTES, x.c1);
}
export function readFp2(w: FieldWasm, addr: number): Fp2 {
  return Fp2F.create({ c0: readFp(w, addr), c1: readFp(w, addr + FP_BYTES) });
}

/** noble Fp12 -> 12 Montgomery coefficients in our (identical) tower order. */
export function fp12ToLimbs(x: Fp12, out: Uint32Array = new Uint32Array(12 * LIMBS), at = 0): Uint32Array {
  const cs = [x.c0.c0, x.c0.c1, x.c0.c2, x.c1.c0, x.c1.c1, x.c1.c2];
  cs.forEach((c, i) => {
    toMont(c.c0, out, at + 2 * i * LIMBS);
    toMont(c.c1, out, at + (2 * i + 1) * LIMBS);
  });
  return out;
}

export function limbsToFp12(u32: Uint32Array, at: number): Fp12 {
  const c = (i: number): bigint => fromMont(u32, at + i * LIMBS);
  const fp2 = (i: number): Fp2 => ({ c0: c(2 * i), c1: c(2 * i + 1) });
  return bls12_381.fields.Fp12.create({
    c0: { c0: fp2(0), c1: fp2(1), c2: fp2(2) },
    c1: { c0: fp2(3), c1: fp2(4), c2: fp2(5) },
  });
}

/**
 * Copy `n` words between typed arrays without allocating a subarray view (the hot loops copy
 * table entries into wasm memory hundreds of times per encryption; views would feed the GC).
 */
export function copyWords(dst: Uint32Array, dstAt: number, src: Uint32Array, srcAt: number, n: number): void {
  for (let i = 0; i < n; i++) dst[dstAt + i] = src[srcAt + i];
}

export const SIZES = { FP_BYTES, FP2_BYTES, FP6_BYTES, FP12_BYTES, LIMBS, FP12_WORDS: FP12_BYTES / 4 };
