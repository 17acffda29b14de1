/**
 * The WebAssembly backend: every operation on the generated field module (lib/abe/wasm), with
 * its tables (fixed-base G1/G2, secret combs, GT combs, pairing lines) cached per instance.
 * Differential tests against noble: wasm.test.ts, backend.test.ts.
 *
 * Secret scalars: fixed bases (g1, g2, VK points) take the constant-time comb of wasm/curve.ts
 * (WasmSecretComb: 65 masked lookups and mixed additions, no doublings, ~5-10x faster than
 * noble's multiply); variable bases a fixed-sequence signed-window ladder; GT the masked-lookup
 * comb (long-lived bases) or ladder (transient bases) of wasm/gt-secret.ts.
 *
 * Exports: wasmBackend.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { type Fp2, psiFrobenius } from "@noble/curves/abstract/tower.js";
import type { G1, G2, G2Prepared } from "../group";
import type { FieldWasm } from "../wasm/runtime";
import { WasmGtTable, wasmGtPow, wasmGtPowMulti, wasmGtProduct, wasmIsInGT } from "../wasm/gt";
import {
  WasmFixedBase,
  WasmSecretComb,
  g1Registers,
  glvFromRegister,
  readG1Register,
  wasmFixedSums,
  wasmG1InSubgroup,
  wasmG2InSubgroup,
  wasmMulSecretVar,
  wasmMulVar,
  wasmSecretSums,
  wasmSqrtFp,
  wasmSqrtFp2,
} from "../wasm/curve";
import { wasmHashToG1, wasmHashToG1Jacobian } from "../wasm/h2c";
import { cachedSecretComb, secretTable, wasmCombPowSecret, wasmGtPowSecret } from "../wasm/gt-secret";
import { type WasmLines, wasmLines, wasmPairingProduct } from "../wasm/pairing";
import type { BackendGtTable, GroupBackend } from "./index";

const { Fp, Fp2: Fp2F } = bls12_381.fields;
const G1Point = bls12_381.G1.Point;
const G2Point = bls12_381.G2.Point;
const g1: G1 = G1Point.BASE;
const g2: G2 = G2Point.BASE;
const G1_ZERO: G1 = G1Point.ZERO;

type WasmBackendGtTable = BackendGtTable & { readonly table: WasmGtTable };

// The untwist-Frobenius-twist endomorphism psi on G2 (affine): psi(x, y) = (conj(x) cx, conj(y) cy).
let psiConsts: { cx: Fp2; cy: Fp2 } | undefined;
function psi(Q: G2): G2 {
  if (!psiConsts) {
    const f = psiFrobenius(Fp, Fp2F, Fp2F.div(Fp2F.ONE, Fp2F.NONRESIDUE));
    psiConsts = { cx: f.PSI_X, cy: f.PSI_Y };
  }
  const { x, y } = Q.toAffine();
  const conj = (a: Fp2): Fp2 => Fp2F.create({ c0: a.c0, c1: Fp.neg(a.c1) });
  return new G2Point(Fp2F.mul(conj(x), psiConsts.cx), Fp2F.mul(conj(y), psiConsts.cy), Fp2F.ONE);
}

/** The backend over one instance of the field module (its tables live in that module's heap). */
export function wasmBackend(w: FieldWasm): GroupBackend {
  let g1Table: WasmFixedBase | undefined;
  let g2Table: WasmFixedBase | undefined;
  const g1Fixed = () => (g1Table ??= new WasmFixedBase(w, "g1", g1));
  const g2Fixed = () => (g2Table ??= new WasmFixedBase(w, "g2", g2));

  // Tables for reused variable bases (VK's g1^gamma), per point instance.
  const preparedG1 = new WeakMap<G1, WasmFixedBase>();
  function preparedFor(P: G1): WasmFixedBase {
    let t = preparedG1.get(P);
    if (!t) {
      t = new WasmFixedBase(w, "g1", P);
      preparedG1.set(P, t);
    }
    return t;
  }

  let g1SecretComb: WasmSecretComb | undefined;
  let g2SecretComb: WasmSecretComb | undefined;
  const secretCombsG1 = new WeakMap<G1, WasmSecretComb>();
  function secretCombG1(P: G1): WasmSecretComb {
    if (P === g1) return (g1SecretComb ??= new WasmSecretComb(w, "g1", g1));
    let t = secretCombsG1.get(P);
    if (!t) {
      t = new WasmSecretComb(w, "g1", P);
      secretCombsG1.set(P, t);
    }
    return t;
  }

  const linesCache = new WeakMap<G2, WasmLines>();
  function linesFor(q: G2Prepared): WasmLines {
    let l = linesCache.get(q.point);
    if (!l) {
      l = wasmLines(q.lines);
      linesCache.set(q.point, l);
    }
    return l;
  }

  const self: GroupBackend = {
    name: "wasm",

    mulG1: (P, k) => wasmMulVar(w, "g1", P, k) as G1,
    mulG2: (Q, k) => wasmMulVar(w, "g2", Q, k) as G2,
    g1Mul: (k) => g1Fixed().mul(k) as G1,
    g2Mul: (k) => g2Fixed().mul(k) as G2,
    // Compared in Jacobian coordinates, without an inversion.
    g2MulEquals: (k, Q) => g2Fixed().mulEquals(k, Q),
    mulG1Cached: (P, k) => preparedFor(P).mul(k) as G1,
    rowsG1(items) {
      // Every sum accumulates from the fixed-base tables; all outputs share one inversion.
      const gT = g1Fixed();
      const sums = items.flatMap(([P, r, omega]) => [[[gT, r] as const], [[preparedFor(P), r] as const, [gT, omega] as const]]);
      const pts = wasmFixedSums(w, "g1", sums) as G1[];
      return items.map((_, i) => [pts[2 * i], pts[2 * i + 1]]);
    },

    g1MulSecret: (k) => secretCombG1(g1).mul(k) as G1,
    g2MulSecret: (k) => (g2SecretComb ??= new WasmSecretComb(w, "g2", g2)).mul(k) as G2,
    mulG1Secret: (P, k) => wasmMulSecretVar(w, "g1", P, k) as G1,
    mulG2Secret: (Q, k) => wasmMulSecretVar(w, "g2", Q, k) as G2,
    mulG1CachedSecret: (P, k) => secretCombG1(P).mul(k) as G1,
    rowsG1Secret(items) {
      // Jacobian registers through the secret combs; one shared inversion.
      const gC = secretCombG1(g1);
      const sums = items.flatMap(([P, r, omega]) => [[[gC, r] as const], [[secretCombG1(P), r] as const, [gC, omega] as const]]);
      const pts = wasmSecretSums(w, "g1", sums) as G1[];
      return items.map((_, i) => [pts[2 * i], pts[2 * i + 1]]);
    },
    gtPowSecretMulti: (terms, cache) =>
      cache
        ? wasmCombPowSecret(
            w,
            terms.map(([a, k]) => [cachedSecretComb(a, w), k] as const),
          )
        : wasmGtPowSecret(
            w,
            terms.map(([a, k]) => [secretTable(a, w), k] as const),
          ),

    sqrtFp: (a) => wasmSqrtFp(w, a),
    sqrtFp2: (a) => wasmSqrtFp2(w, a),
    g1InSubgroup: (P) => wasmG1InSubgroup(w, P.X, P.Y),
    g2InSubgroup: (Q) => wasmG2InSubgroup(w, Q, psi(Q)),

    hashToG1: (dst, msg) => wasmHashToG1(w, dst, msg),
    hashToG1Pow(dst, msg, k) {
      // The hash point stays in a Jacobian register for the multiplication (no conversion).
      const R = g1Registers(w);
      if (!wasmHashToG1Jacobian(w, dst, msg, R.odd0)) return G1_ZERO;
      return glvFromRegister(w, R.odd0, k) ? readG1Register(w, R.acc) : G1_ZERO;
    },

    multiPair: (pairs) =>
      wasmPairingProduct(
        w,
        pairs.map(([P, q]) => [P, linesFor(q)] as const),
      ),

    gtProduct: (xs) => wasmGtProduct(w, xs),
    gtPow: (a, k) => wasmGtPow(w, a, k),
    gtTable: (base, window): WasmBackendGtTable => ({ owner: self, table: new WasmGtTable(w, base, window) }),
    gtPowMulti: (terms) =>
      wasmGtPowMulti(
        w,
        terms.map(([t, k]) => [(t as WasmBackendGtTable).table, k] as const),
      ),
    isInGT: (a) => wasmIsInGT(w, a),
  };
  return self;
}
