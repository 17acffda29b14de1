import { describe, expect, it } from "vitest";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { Fp2 } from "@noble/curves/abstract/tower.js";
import { isAbeError } from "./errors";
import {
  DST_GID,
  GT_ONE,
  GtTable,
  P,
  R,
  decodeFr,
  decodeG1,
  decodeG2,
  decodeGT,
  egg,
  eggPow,
  encodeFr,
  encodeG1,
  encodeG2,
  encodeGT,
  frInv,
  frMul,
  g1,
  g1Mul,
  g2,
  g2Mul,
  gtEq,
  gtMul,
  gtPow,
  gtPowMulti,
  gtPowRef,
  hashGid,
  hashToFr,
  hashToG1,
  isInGT,
  mulG1,
  multiPair,
  pair,
  pairRef,
  prepareG2,
  randomFr,
} from "./group";
import { seededRng } from "./testing";

const { Fp, Fp2, Fp12 } = bls12_381.fields;
const rng = seededRng("group-test");

function expectCode(f: () => unknown, code: string) {
  try {
    f();
  } catch (e) {
    expect(isAbeError(e), String(e)).toBe(true);
    expect((e as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected AbeError ${code}`);
}

/** A point on E(Fp) (y^2 = x^3 + 4) that is not in the order-r subgroup. */
function offSubgroupG1(): Uint8Array {
  for (let x = 1n; ; x++) {
    const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n);
    let y: bigint;
    try {
      y = Fp.sqrt(rhs);
    } catch {
      continue;
    }
    const pt = new bls12_381.G1.Point(x, y, 1n);
    if (pt.isTorsionFree()) continue;
    return encodeG1(pt);
  }
}

function offSubgroupG2(): Uint8Array {
  const b: Fp2 = Fp2.create({ c0: 4n, c1: 4n });
  for (let i = 1n; ; i++) {
    const x: Fp2 = Fp2.create({ c0: i, c1: 1n });
    const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), b);
    let y: Fp2;
    try {
      y = Fp2.sqrt(rhs);
    } catch {
      continue;
    }
    const pt = new bls12_381.G2.Point(x, y, Fp2.ONE);
    if (pt.isTorsionFree()) continue;
    return encodeG2(pt);
  }
}

function offCurveG1(): Uint8Array {
  for (let x = 1n; ; x++) {
    const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n);
    let isSquare = true;
    try {
      Fp.sqrt(rhs);
    } catch {
      isSquare = false;
    }
    if (isSquare) continue;
    const out = new Uint8Array(48);
    out.set(encodeFr(x).subarray(0), 16);
    out[0] |= 0x80;
    return out;
  }
}

describe("scalars", () => {
  it("encodes canonically and rejects >= r", () => {
    const k = randomFr(rng);
    expect(decodeFr(encodeFr(k))).toBe(k);
    const big = new Uint8Array(32).fill(0xff);
    expectCode(() => decodeFr(big), "DECODE_SCALAR");
    expectCode(() => decodeFr(new Uint8Array(31)), "DECODE_LENGTH");
    expectCode(() => decodeFr(new Uint8Array(32)), "DECODE_SCALAR");
    expect(decodeFr(new Uint8Array(32), { allowZero: true })).toBe(0n);
    expect(frMul(k, frInv(k))).toBe(1n);
  });

  it("hashToFr separates domains and part boundaries", () => {
    const a = new Uint8Array([1, 2]);
    const b = new Uint8Array([3]);
    expect(hashToFr("T1", a, b)).not.toBe(hashToFr("T2", a, b));
    expect(hashToFr("T1", a, b)).not.toBe(hashToFr("T1", new Uint8Array([1]), new Uint8Array([2, 3])));
    expect(hashToFr("T1", a, b)).toBe(hashToFr("T1", a, b));
    expect(hashToFr("T1", a)).toBeLessThan(R);
  });
});

describe("points", () => {
  it("G1/G2 encodings match noble's compressed format and round-trip", () => {
    for (let i = 0; i < 3; i++) {
      const k = randomFr(rng);
      const P1 = g1Mul(k);
      const Q2 = g2Mul(k);
      expect(encodeG1(P1)).toEqual(P1.toBytes());
      expect(encodeG2(Q2)).toEqual(Q2.toBytes());
      expect(decodeG1(encodeG1(P1)).equals(P1)).toBe(true);
      expect(decodeG2(encodeG2(Q2)).equals(Q2)).toBe(true);
    }
  });

  it("rejects bad lengths, flags, non-canonical x, off-curve, off-subgroup and identity", () => {
    const good = encodeG1(g1Mul(5n));
    expectCode(() => decodeG1(good.subarray(1)), "DECODE_LENGTH");
    const uncompressed = good.slice();
    uncompressed[0] &= 0x7f;
    expectCode(() => decodeG1(uncompressed), "DECODE_POINT");
    const bigX = new Uint8Array(48).fill(0xff);
    bigX[0] = 0x9f; // compressed flag, x >= p
    expectCode(() => decodeG1(bigX), "DECODE_POINT");
    expectCode(() => decodeG1(offCurveG1()), "DECODE_POINT");
    expectCode(() => decodeG1(offSubgroupG1()), "DECODE_SUBGROUP");
    expectCode(() => decodeG2(offSubgroupG2()), "DECODE_SUBGROUP");
    const inf = new Uint8Array(48);
    inf[0] = 0xc0;
    expectCode(() => decodeG1(inf), "DECODE_IDENTITY");
    expect(decodeG1(inf, { allowIdentity: true }).is0()).toBe(true);
    const badInf = inf.slice();
    badInf[47] = 1;
    expectCode(() => decodeG1(badInf, { allowIdentity: true }), "DECODE_POINT");
    const inf2 = new Uint8Array(96);
    inf2[0] = 0xc0;
    expectCode(() => decodeG2(inf2), "DECODE_IDENTITY");
    // x >= p in the c0 half of a G2 x-coordinate.
    const g2b = encodeG2(g2);
    const badC0 = g2b.slice();
    badC0.fill(0xff, 48);
    expectCode(() => decodeG2(badC0), "DECODE_POINT");
  });

  it("mulG1 handles zero and matches noble", () => {
    expect(mulG1(g1, 0n).is0()).toBe(true);
    const k = randomFr(rng);
    expect(g1Mul(k).equals(g1.multiply(k))).toBe(true);
    expect(g2Mul(k).equals(g2.multiply(k))).toBe(true);
  });
});

describe("pairing and GT", () => {
  it("multiPair is bilinear and agrees with single pairings", () => {
    const a = randomFr(rng);
    const b = randomFr(rng);
    const lhs = pair(g1Mul(a), g2Mul(b));
    expect(gtEq(lhs, gtPowRef(egg(), frMul(a, b)))).toBe(true);
    expect(gtEq(pairRef(g1Mul(a), g2Mul(b)), lhs)).toBe(true);
    // e(aP, Q) e(-P, aQ) = 1, with one prepared G2 and identity terms skipped.
    const prod = multiPair([
      [g1Mul(a), prepareG2(g2)],
      [g1.negate(), g2Mul(a)],
      [mulG1(g1, 0n), g2],
    ]);
    expect(gtEq(prod, GT_ONE)).toBe(true);
  });

  it("Frobenius-split gtPow, fixed-base tables and multi-exponentiation agree with Fp12.pow", () => {
    const base = pair(g1Mul(randomFr(rng)), g2);
    const t = new GtTable(base, 5);
    for (const k of [0n, 1n, 2n, R - 1n, (1n << 64n) + 3n, randomFr(rng), randomFr(rng)]) {
      const ref = gtPowRef(base, k);
      expect(gtEq(gtPow(base, k), ref)).toBe(true);
      expect(gtEq(t.pow(k), ref)).toBe(true);
    }
    const k1 = randomFr(rng);
    const k2 = randomFr(rng);
    const multi = gtPowMulti([
      [t, k1],
      [new GtTable(egg(), 4), k2],
    ]);
    expect(gtEq(multi, gtMul(gtPowRef(base, k1), gtPowRef(egg(), k2)))).toBe(true);
    expect(gtEq(eggPow(k2), gtPowRef(egg(), k2))).toBe(true);
  });

  it("GT membership: gcd(p - x, Phi12(p)) = r makes the two cheap checks sufficient", () => {
    const x = -0xd201000000010000n;
    const phi = P ** 4n - P ** 2n + 1n;
    const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
    expect(gcd(P - x, phi)).toBe(R);
    expect(isInGT(egg())).toBe(true);
    // A random Fp12 element, and one pushed into the cyclotomic subgroup but not into GT.
    const f = Fp12.fromBigTwelve([3n, 1n, 4n, 1n, 5n, 9n, 2n, 6n, 5n, 3n, 5n, 8n]);
    expect(isInGT(f)).toBe(false);
    const t0 = Fp12.div(Fp12.frobeniusMap(f, 6), f); // f^(p^6 - 1)
    const cyclo = Fp12.mul(Fp12.frobeniusMap(t0, 2), t0); // ^(p^2 + 1): order divides Phi12(p)
    expect(Fp12.eql(Fp12.mul(Fp12.frobeniusMap(cyclo, 4), cyclo), Fp12.frobeniusMap(cyclo, 2))).toBe(true);
    expect(isInGT(cyclo)).toBe(false);
    expectCode(() => decodeGT(encodeGT(cyclo)), "DECODE_SUBGROUP");
    expectCode(() => decodeGT(encodeGT(f)), "DECODE_SUBGROUP");
    expectCode(() => decodeGT(new Uint8Array(575)), "DECODE_LENGTH");
    const nonCanonical = encodeGT(egg()).slice();
    nonCanonical.fill(0xff, 0, 48);
    expectCode(() => decodeGT(nonCanonical), "DECODE_POINT");
    expect(gtEq(decodeGT(encodeGT(egg())), egg())).toBe(true);
  });
});

describe("hashing to curves", () => {
  it("H(GID) uses its own DST, is cached and deterministic", () => {
    const h = hashGid("alice");
    expect(hashGid("alice")).toBe(h);
    expect(h.equals(bls12_381.G2.hashToCurve(new TextEncoder().encode("alice"), { DST: DST_GID }))).toBe(true);
    expect(h.equals(hashGid("bob"))).toBe(false);
    expect(h.isTorsionFree()).toBe(true);
  });

  it("hashToG1 separates DSTs", () => {
    const m = new Uint8Array([1, 2, 3]);
    expect(hashToG1("A", m).equals(hashToG1("B", m))).toBe(false);
    expect(hashToG1("A", m).equals(hashToG1("A", m))).toBe(true);
  });
});
