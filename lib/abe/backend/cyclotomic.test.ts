import { describe, expect, it } from "vitest";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { cyclotomicPow, cyclotomicSquare } from "./cyclotomic";
import { X_ABS } from "../wasm/gt";
import { seededRng } from "../testing";

const { Fr, Fp12 } = bls12_381.fields;
const rng = seededRng("cyclotomic");
const scalar = () => Fr.create(BigInt("0x" + Buffer.from(rng(48)).toString("hex")));

// A GT element, and a cyclotomic-subgroup element outside GT: f^((p^6 - 1)(p^2 + 1)).
const gt = bls12_381.pairing(bls12_381.G1.Point.BASE.multiply(scalar()), bls12_381.G2.Point.BASE.multiply(scalar()));
const f = Fp12.fromBigTwelve([3n, 1n, 4n, 1n, 5n, 9n, 2n, 6n, 5n, 3n, 5n, 8n]);
const t0 = Fp12.div(Fp12.frobeniusMap(f, 6), f);
const cyclo = Fp12.mul(Fp12.frobeniusMap(t0, 2), t0);

describe("cyclotomic squaring and powers (Granger-Scott, noble's public API)", () => {
  it("square equals Fp12.sqr inside the cyclotomic subgroup", () => {
    for (const a of [gt, cyclo, Fp12.ONE, Fp12.conjugate(gt)]) expect(Fp12.eql(cyclotomicSquare(a), Fp12.sqr(a))).toBe(true);
  });

  it("pow equals Fp12.pow (the |x| of the GT membership test, edges, random)", () => {
    for (const a of [gt, cyclo])
      for (const n of [0n, 1n, 2n, 3n, X_ABS, Fr.ORDER - 1n, scalar()]) expect(Fp12.eql(cyclotomicPow(a, n), Fp12.pow(a, n))).toBe(true);
    expect(() => cyclotomicPow(gt, -1n)).toThrow(RangeError);
  });

  it("is only valid in the cyclotomic subgroup (a generic element squares differently)", () => {
    expect(Fp12.eql(cyclotomicSquare(f), Fp12.sqr(f))).toBe(false);
  });
});
