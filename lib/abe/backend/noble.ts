/**
 * The noble backend: @noble/curves' BigInt arithmetic with our own precomputation (window
 * tables on private copies of the generators and of long-lived points, GT combs), for runtimes
 * without WebAssembly. Only noble's public API is used (cyclotomic squaring: ./cyclotomic).
 *
 * Secret scalars (G1/G2): for points with a precomputed window table (`precompute(W)`: g1, g2,
 * VK points) noble 2.4's `multiply` -> ScalarMultiplier.mulSecret -> mulCT -> runCT ->
 * wnafCachedCT (node_modules/@noble/curves/abstract/curve.js, "Constant-time: fixed window
 * count with one table addition per window — zero digits feed the fake accumulator — and no
 * doublings; the lookup scans the whole window slice"): ceil(255/W) + 1 complete additions,
 * whatever the scalar. (mulSecret blinds the scalar only for cofactor-1 curves or the BASE
 * instance; our copies take the unblinded mulCT, which is the same kernel.) A point without a
 * table takes fixedWindowCT, also a fixed sequence. `multiplyUnsafe` never sees a secret.
 * In GT, wasm/gt-secret.ts's masked-lookup ladder and comb over noble's Fp12 (BigInt arithmetic
 * is not constant-time itself: this path keeps the fixed sequence and the masked lookups).
 *
 * Exports: nobleBackend.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { Fp2 } from "@noble/curves/abstract/tower.js";
import type { Fr, G1, G2, GT } from "../group";
import { X_ABS, splitX } from "../wasm/gt";
import { cachedSecretComb, nobleCombPowSecret, nobleGtPowSecret, secretTable } from "../wasm/gt-secret";
import type { BackendGtTable, GroupBackend } from "./index";
import { cyclotomicPow, cyclotomicSquare } from "./cyclotomic";

const { Fp, Fp2: Fp2F, Fp12: Fp12F } = bls12_381.fields;
const G1Point = bls12_381.G1.Point;
const G2Point = bls12_381.G2.Point;
const G1_ZERO: G1 = G1Point.ZERO;
const GT_ONE: GT = Fp12F.ONE;

// Our own copies of the generators carry our window tables, so precomputation here never
// changes the behaviour or memory of other noble users in the same process.
const G1_WINDOW = 8;
const G2_WINDOW = 8;
const g1Fast: G1 = new G1Point(G1Point.BASE.X, G1Point.BASE.Y, G1Point.BASE.Z).precompute(G1_WINDOW, true);
const g2Fast: G2 = new G2Point(G2Point.BASE.X, G2Point.BASE.Y, G2Point.BASE.Z).precompute(G2_WINDOW, true);

// Per-point tables for variable bases that are reused (VK's g1^gamma), keyed by the caller's
// point instance and garbage-collected with it.
const G1_VAR_WINDOW = 6;
const preparedG1 = new WeakMap<G1, G1>();
function preparedFor(P: G1): G1 {
  let t = preparedG1.get(P);
  if (!t) {
    t = new G1Point(P.X, P.Y, P.Z).precompute(G1_VAR_WINDOW, true);
    preparedG1.set(P, t);
  }
  return t;
}

// Copies of long-lived G1 points for secret scalars: window 8 as for g1 (33 additions per
// multiplication instead of 44 at window 6; the table, 33 x 128 points, is built once per point).
const G1_SECRET_WINDOW = 8;
const windowedG1 = new WeakMap<G1, G1>();
function windowedCopy(P: G1): G1 {
  let t = windowedG1.get(P);
  if (!t) {
    t = new G1Point(P.X, P.Y, P.Z).precompute(G1_SECRET_WINDOW, true);
    windowedG1.set(P, t);
  }
  return t;
}

const g1Mul = (k: Fr): G1 => (k === 0n ? G1_ZERO : g1Fast.multiplyUnsafe(k));
const mulG1Cached = (P: G1, k: Fr): G1 => (k === 0n ? G1_ZERO : preparedFor(P).multiplyUnsafe(k));

const frob = (a: GT, k: number): GT => Fp12F.frobeniusMap(a, k);

/**
 * Recombine the four partial results: for y in GT, y^|x| = conj(frob1(y)) because
 * frob1(y) = y^p = y^x and x < 0; likewise y^(|x|^2) = frob2(y), y^(|x|^3) = conj(frob3(y)).
 */
function recombine(y0: GT, y1: GT, y2: GT, y3: GT): GT {
  let acc = y0;
  acc = Fp12F.mul(acc, Fp12F.conjugate(frob(y1, 1)));
  acc = Fp12F.mul(acc, frob(y2, 2));
  acc = Fp12F.mul(acc, Fp12F.conjugate(frob(y3, 3)));
  return acc;
}

/**
 * Variable-base a^k in GT (Galbraith-Lin-Scott): split k into four 64-bit digits via the
 * Frobenius (p = x mod r), then one joint 4-dimensional square-and-multiply with cyclotomic
 * squarings (64 squarings instead of 255 generic ones).
 */
function gtPow(a: GT, k: Fr): GT {
  const d = splitX(k);
  const b1 = Fp12F.conjugate(frob(a, 1));
  const b2 = frob(a, 2);
  const b3 = Fp12F.conjugate(frob(a, 3));
  const bases = [a, b1, b2, b3];
  // table[mask] = product of bases whose bit is set in mask.
  const table: GT[] = new Array<GT>(16);
  table[0] = GT_ONE;
  for (let m = 1; m < 16; m++) {
    const low = m & -m;
    const i = 31 - Math.clz32(low);
    table[m] = m === low ? bases[i] : Fp12F.mul(table[m ^ low], bases[i]);
  }
  let acc: GT | null = null;
  for (let bit = 63; bit >= 0; bit--) {
    if (acc) acc = cyclotomicSquare(acc);
    const sh = BigInt(bit);
    const m = Number((d[0] >> sh) & 1n) | (Number((d[1] >> sh) & 1n) << 1) | (Number((d[2] >> sh) & 1n) << 2) | (Number((d[3] >> sh) & 1n) << 3);
    if (m) acc = acc ? Fp12F.mul(acc, table[m]) : table[m];
  }
  return acc ?? GT_ONE;
}

/**
 * Fixed-base comb: rows[j][v-1] = a^(v * 2^(w j)) for 64-bit digit exponents; with the
 * Frobenius split an exponentiation costs about 4 * ceil(64/w) multiplications, no squarings.
 */
type NobleGtTable = BackendGtTable & { readonly rows: GT[][]; readonly window: number };

function gtTable(base: GT, window: number): NobleGtTable {
  const windows = Math.ceil(64 / window);
  const rows: GT[][] = [];
  let g = base;
  for (let j = 0; j < windows; j++) {
    const row: GT[] = [g];
    for (let v = 2; v < 1 << window; v++) row.push(Fp12F.mul(row[v - 2], g));
    rows.push(row);
    // Next row's generator: g^(2^w), by w cyclotomic squarings.
    for (let s = 0; s < window; s++) g = cyclotomicSquare(g);
  }
  return { owner: nobleBackend, rows, window };
}

/** Product over windows of table lookups for one 64-bit digit; null when the digit is 0. */
function digitProduct(t: NobleGtTable, d: bigint, acc: GT | null): GT | null {
  const w = BigInt(t.window);
  const mask = (1n << w) - 1n;
  for (let j = 0; d > 0n; j++, d >>= w) {
    const v = Number(d & mask);
    if (v) acc = acc ? Fp12F.mul(acc, t.rows[j][v - 1]) : t.rows[j][v - 1];
  }
  return acc;
}

export const nobleBackend: GroupBackend = {
  name: "noble",

  mulG1: (P, k) => P.multiplyUnsafe(k),
  mulG2: (Q, k) => Q.multiplyUnsafe(k),
  g1Mul,
  g2Mul: (k) => g2Fast.multiplyUnsafe(k),
  g2MulEquals: (k, Q) => g2Fast.multiplyUnsafe(k).equals(Q),
  mulG1Cached,
  rowsG1: (items) => items.map(([P, r, omega]) => [g1Mul(r), mulG1Cached(P, r).add(g1Mul(omega))]),

  g1MulSecret: (k) => g1Fast.multiply(k),
  g2MulSecret: (k) => g2Fast.multiply(k),
  mulG1Secret: (P, k) => P.multiply(k),
  mulG2Secret: (Q, k) => Q.multiply(k),
  mulG1CachedSecret: (P, k) => windowedCopy(P).multiply(k),
  rowsG1Secret: (items) => items.map(([P, r, omega]) => [g1Fast.multiply(r), windowedCopy(P).multiply(r).add(g1Fast.multiply(omega))]),
  gtPowSecretMulti: (terms, cache) =>
    cache
      ? nobleCombPowSecret(terms.map(([a, k]) => [cachedSecretComb(a), k] as const))
      : nobleGtPowSecret(terms.map(([a, k]) => [secretTable(a), k] as const)),

  sqrtFp(a) {
    try {
      return Fp.sqrt(a);
    } catch {
      return null;
    }
  },
  sqrtFp2(a: Fp2) {
    try {
      return Fp2F.sqrt(a);
    } catch {
      return null;
    }
  },
  g1InSubgroup: (P) => P.isTorsionFree(),
  g2InSubgroup: (Q) => Q.isTorsionFree(),

  hashToG1: (dst, msg) => bls12_381.G1.hashToCurve(msg, { DST: dst }),
  hashToG1Pow(dst, msg, k) {
    const H = bls12_381.G1.hashToCurve(msg, { DST: dst });
    return k === 0n || H.is0() ? G1_ZERO : H.multiplyUnsafe(k);
  },

  multiPair(pairs) {
    const batch = pairs.map(([P, Q]) => {
      const { x, y } = P.toAffine();
      return [Q.lines, x, y] as [typeof Q.lines, bigint, bigint];
    });
    return Fp12F.finalExponentiate(bls12_381.millerLoopBatch(batch));
  },

  gtProduct: (xs) => xs.reduce((acc, x) => Fp12F.mul(acc, x)),
  gtPow,
  gtTable,
  gtPowMulti(terms) {
    const ys: (GT | null)[] = [null, null, null, null];
    for (const [t, k] of terms) {
      const d = splitX(k);
      for (let i = 0; i < 4; i++) ys[i] = digitProduct(t as NobleGtTable, d[i], ys[i]);
    }
    return recombine(ys[0] ?? GT_ONE, ys[1] ?? GT_ONE, ys[2] ?? GT_ONE, ys[3] ?? GT_ONE);
  },
  /**
   * a in the cyclotomic subgroup (a^(p^4) * a = a^(p^2), i.e. a^Phi12(p) = 1) and a^p = a^x.
   * Since gcd(p - x, Phi12(p)) = r for BLS12-381 (checked in group.test.ts), both together
   * force a^r = 1.
   */
  isInGT(a) {
    if (!Fp12F.eql(Fp12F.mul(frob(a, 4), a), frob(a, 2))) return false;
    // a^x with x < 0: conjugate of the cyclotomic power by |x|.
    return Fp12F.eql(frob(a, 1), Fp12F.conjugate(cyclotomicPow(a, X_ABS)));
  },
};
