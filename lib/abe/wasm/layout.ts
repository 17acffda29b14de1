/**
 * Sizes of field elements in the wasm module's memory, and the memory map the generator emits
 * (shared by the generator, its checked-in output and the runtime, which never loads the
 * generator itself).
 *
 * Exports: LIMBS, LIMB_BITS, FP_BYTES, FP2_BYTES, FP6_BYTES, FP12_BYTES, Layout.
 */

export const LIMBS = 14;
export const LIMB_BITS = 28;
export const FP_BYTES = LIMBS * 4;
export const FP2_BYTES = 2 * FP_BYTES;
export const FP6_BYTES = 3 * FP2_BYTES;
export const FP12_BYTES = 2 * FP6_BYTES;

export type Layout = {
  /** Constant Fp zero and Montgomery one. */
  zero: number;
  one: number;
  /** Per Frobenius power k = 1, 2, 3: gamma_k^1..gamma_k^5 (Fp2 each), gamma_k = (1+u)^((p^k-1)/6). */
  frob: [number, number, number];
  /** First byte of the area JavaScript may use as registers. */
  heap: number;
  /** Total memory in bytes. */
  memBytes: number;
};
