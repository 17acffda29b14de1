/**
 * Squaring and powers in the cyclotomic subgroup of Fp12 (which contains GT), on noble's public
 * tower API. noble has the same routines only as private methods (Fp12._cyclotomicSquare,
 * _cyclotomicExp), which may change in any release; these are the same formulas, operation for
 * operation, so the noble path keeps its speed.
 *
 * Exports: cyclotomicSquare, cyclotomicPow.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { Fp12, Fp2 } from "@noble/curves/abstract/tower.js";

const { Fp2: Fp2F, Fp12: Fp12F } = bls12_381.fields;

/** 3t - 2a (Granger-Scott's recurring combination), as 2(t - a) + t. */
const sub3 = (t: Fp2, a: Fp2): Fp2 => Fp2F.add(Fp2F.mul(Fp2F.sub(t, a), 2n), t);
/** 3t + 2a, as 2(t + a) + t. */
const add3 = (t: Fp2, a: Fp2): Fp2 => Fp2F.add(Fp2F.mul(Fp2F.add(t, a), 2n), t);

/**
 * a^2 for a in the cyclotomic subgroup (a^Phi12(p) = 1): Granger-Scott, "Faster squaring in
 * the cyclotomic subgroup of sixth degree extensions" (PKC 2010, eprint 2009/565, sec. 3.2),
 * three Fp4 squarings instead of a full Fp12 squaring. Wrong outside that subgroup.
 */
export function cyclotomicSquare(a: Fp12): Fp12 {
  const { c0: g0, c1: g1 } = a;
  // Fp4 = Fp2[w^3]/(w^6 - (1+u)): the pairs (c0.c0, c1.c1), (c1.c0, c0.c2), (c0.c1, c1.c2).
  const { first: t3, second: t4 } = Fp2F.Fp4Square(g0.c0, g1.c1);
  const { first: t5, second: t6 } = Fp2F.Fp4Square(g1.c0, g0.c2);
  const { first: t7, second: t8 } = Fp2F.Fp4Square(g0.c1, g1.c2);
  const t9 = Fp2F.mulByNonresidue(t8); // t8 * (1 + u)
  // Frozen like noble's own results; the coefficients are already reduced (no Fp12.create pass).
  return Object.freeze({
    c0: Object.freeze({ c0: sub3(t3, g0.c0), c1: sub3(t5, g0.c1), c2: sub3(t7, g0.c2) }),
    c1: Object.freeze({ c0: add3(t9, g1.c0), c1: add3(t4, g1.c1), c2: add3(t6, g1.c2) }),
  });
}

/** a^n for a in the cyclotomic subgroup and n >= 0: square-and-multiply with cyclotomic squarings. */
export function cyclotomicPow(a: Fp12, n: bigint): Fp12 {
  if (n < 0n) throw new RangeError("cyclotomicPow: negative exponent");
  if (n === 0n) return Fp12F.ONE;
  let z = a;
  for (let i = n.toString(2).length - 2; i >= 0; i--) {
    z = cyclotomicSquare(z);
    if ((n >> BigInt(i)) & 1n) z = Fp12F.mul(z, a);
  }
  return z;
}
