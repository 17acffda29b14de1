/**
 * The arithmetic behind lib/abe/group.ts: one object per implementation, chosen once.
 *
 *   wasm   the generated field module (lib/abe/wasm), for every operation below;
 *   noble  @noble/curves' BigInt arithmetic, when WebAssembly is unavailable (e.g. a page whose
 *          Content-Security-Policy forbids it) or switched off by the WASM_DISABLED test hook.
 *
 * group.ts reduces scalars, reports public exponents to the trace hook and handles identities
 * before it calls a backend, so both backends see the same, already checked inputs. (The
 * benchmark's reference path is not a backend: it is `referenceGroup` in group.ts, noble's
 * generic algorithms without precomputation, whichever backend is active.)
 *
 * Exports: GroupBackend, BackendGtTable, backend.
 */
import type { Fp2 } from "@noble/curves/abstract/tower.js";
import type { Fr, G1, G2, G2Prepared, GT } from "../group";
import { WASM_DISABLED, fieldWasm } from "../wasm/runtime";
import { nobleBackend } from "./noble";
import { wasmBackend } from "./wasm";

/** A fixed-base GT table built by one backend (opaque to everyone else). */
export type BackendGtTable = { readonly owner: GroupBackend };

/**
 * Scalars are reduced mod r. Public-scalar operations (variable time) get nonzero scalars and
 * non-identity points unless stated otherwise; the *Secret ones run a fixed operation sequence.
 */
export interface GroupBackend {
  readonly name: "wasm" | "noble";

  /** k·P, k·Q for variable bases. */
  mulG1(P: G1, k: Fr): G1;
  mulG2(Q: G2, k: Fr): G2;
  /** g1^k, g2^k with fixed-base tables. */
  g1Mul(k: Fr): G1;
  g2Mul(k: Fr): G2;
  /** g2^k == Q. */
  g2MulEquals(k: Fr, Q: G2): boolean;
  /** k·P for long-lived P (a table per point instance). */
  mulG1Cached(P: G1, k: Fr): G1;
  /** (g1^r, P^r g1^omega) per item, for long-lived non-identity P; r and omega may be 0. */
  rowsG1(items: ReadonlyArray<readonly [G1, Fr, Fr]>): [G1, G1][];

  g1MulSecret(k: Fr): G1;
  g2MulSecret(k: Fr): G2;
  mulG1Secret(P: G1, k: Fr): G1;
  mulG2Secret(Q: G2, k: Fr): G2;
  mulG1CachedSecret(P: G1, k: Fr): G1;
  /** rowsG1 for secret r, omega (all nonzero, P not the identity). */
  rowsG1Secret(items: ReadonlyArray<readonly [G1, Fr, Fr]>): [G1, G1][];
  /** prod a_i^(k_i) for secret k_i; `cache`: long-lived bases, each with a cached comb. */
  gtPowSecretMulti(terms: ReadonlyArray<readonly [GT, Fr]>, cache: boolean): GT;

  /** Square roots for point decompression (null for a non-residue). */
  sqrtFp(a: bigint): bigint | null;
  sqrtFp2(a: Fp2): Fp2 | null;
  /** Order-r subgroup membership of an affine (Z = 1) point on the curve. */
  g1InSubgroup(P: G1): boolean;
  g2InSubgroup(Q: G2): boolean;

  /** RFC 9380 hash_to_curve into G1; the power of it (k may be 0). */
  hashToG1(dst: string, msg: Uint8Array): G1;
  hashToG1Pow(dst: string, msg: Uint8Array, k: Fr): G1;

  /** prod e(P_i, Q_i), one final exponentiation; at least one pair, no identities. */
  multiPair(pairs: ReadonlyArray<readonly [G1, G2Prepared]>): GT;

  /** prod xs, at least two. */
  gtProduct(xs: readonly GT[]): GT;
  /** a^k in GT, k >= 2 (Frobenius split, cyclotomic squarings). */
  gtPow(a: GT, k: Fr): GT;
  /** Fixed-base comb table of a GT element, `window` bits per row. */
  gtTable(base: GT, window: number): BackendGtTable;
  /** prod base_i^(k_i) over tables this backend built (any number, k may be 0). */
  gtPowMulti(terms: ReadonlyArray<readonly [BackendGtTable, Fr]>): GT;
  /** Membership in GT of a nonzero Fp12 element. */
  isInGT(a: GT): boolean;
}

let chosen: GroupBackend | undefined;

/**
 * The backend in use: wasm if WebAssembly loads, else noble; decided on the first call. The
 * WASM_DISABLED test hook wins over that choice while it is set.
 */
export function backend(): GroupBackend {
  if (WASM_DISABLED.value) return nobleBackend;
  if (!chosen) {
    const w = fieldWasm();
    chosen = w ? wasmBackend(w) : nobleBackend;
  }
  return chosen;
}
