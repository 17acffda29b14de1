/**
 * Both backends against noble's plain arithmetic (the reference), operation by operation, and
 * the choice between them. wasm.test.ts tests the field module's primitives underneath;
 * fallback.test.ts and secret-exponent.test.ts run the scheme on each backend.
 */
import { afterEach, describe, expect, it } from "vitest";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { Fp2 } from "@noble/curves/abstract/tower.js";
import { type G1, type G2, GtTable, R, arithmeticBackend, egg, gtPowMulti, prepareG2, randomFr } from "../group";
import { WASM_DISABLED } from "../wasm/runtime";
import { seededRng } from "../testing";
import { type GroupBackend, backend } from "./index";
import { nobleBackend } from "./noble";

const { Fp, Fp2: Fp2F, Fp12 } = bls12_381.fields;
const G1P = bls12_381.G1.Point;
const G2P = bls12_381.G2.Point;
const rng = seededRng("backends");
const k = () => randomFr(rng);
const DST = "MEDSHARE-TEST-BACKEND";
const msg = new TextEncoder().encode("backend");

afterEach(() => {
  WASM_DISABLED.value = false;
});

// A point on E1 (resp. E2) outside the order-r subgroup: the first x whose y^2 is a square.
function offSubgroupG1(): G1 {
  for (let x = 1n; ; x++) {
    const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n);
    if (Fp.eql(Fp.pow(rhs, (Fp.ORDER - 1n) / 2n), Fp.ONE)) return new G1P(x, Fp.sqrt(rhs), 1n);
  }
}
function offSubgroupG2(): G2 {
  const b: Fp2 = Fp2F.create({ c0: 4n, c1: 4n });
  for (let x0 = 1n; ; x0++) {
    const x = Fp2F.create({ c0: x0, c1: 1n });
    try {
      return new G2P(x, Fp2F.sqrt(Fp2F.add(Fp2F.mul(Fp2F.sqr(x), x), b)), Fp2F.ONE);
    } catch {
      // not a square: next x
    }
  }
}

describe("backend choice", () => {
  it("is made once: wasm here, noble while the test hook disables WebAssembly", () => {
    expect(backend().name).toBe("wasm");
    expect(backend()).toBe(backend());
    WASM_DISABLED.value = true;
    expect(backend()).toBe(nobleBackend);
    expect(arithmeticBackend()).toBe("noble");
    WASM_DISABLED.value = false;
    expect(arithmeticBackend()).toBe("wasm");
  });

  it("GT tables built under the other backend still exponentiate (tests toggle WebAssembly)", () => {
    WASM_DISABLED.value = true;
    const fromNoble = new GtTable(egg(), 6);
    WASM_DISABLED.value = false;
    const fromWasm = new GtTable(egg(), 4);
    const [a, b] = [k(), k()];
    const want = Fp12.pow(egg(), (a + b) % R);
    expect(
      Fp12.eql(
        gtPowMulti([
          [fromNoble, a],
          [fromWasm, b],
        ]),
        want,
      ),
    ).toBe(true);
    WASM_DISABLED.value = true;
    expect(
      Fp12.eql(
        gtPowMulti([
          [fromNoble, a],
          [fromWasm, b],
        ]),
        want,
      ),
    ).toBe(true);
  });
});

describe.each([
  ["wasm", () => backend()],
  ["noble", () => nobleBackend],
] as const)("%s backend equals noble's plain arithmetic", (name, get) => {
  const B = (): GroupBackend => get();
  const P = G1P.BASE.multiply(k());
  const Q = G2P.BASE.multiply(k());
  const ks = [1n, 2n, R - 1n, 1n << 64n, k(), k()];

  it("is the backend it claims to be", () => {
    expect(B().name).toBe(name);
  });

  it("scalar multiplication, public and secret scalars, G1 and G2", () => {
    for (const s of ks) {
      expect(B().mulG1(P, s).equals(P.multiply(s))).toBe(true);
      expect(B().mulG2(Q, s).equals(Q.multiply(s))).toBe(true);
      expect(B().g1Mul(s).equals(G1P.BASE.multiply(s))).toBe(true);
      expect(B().g2Mul(s).equals(G2P.BASE.multiply(s))).toBe(true);
      expect(B().g2MulEquals(s, G2P.BASE.multiply(s))).toBe(true);
      expect(B().g2MulEquals(s, G2P.BASE.multiply(s).double())).toBe(false);
      expect(B().mulG1Cached(P, s).equals(P.multiply(s))).toBe(true);
      expect(B().g1MulSecret(s).equals(G1P.BASE.multiply(s))).toBe(true);
      expect(B().g2MulSecret(s).equals(G2P.BASE.multiply(s))).toBe(true);
      expect(B().mulG1Secret(P, s).equals(P.multiply(s))).toBe(true);
      expect(B().mulG2Secret(Q, s).equals(Q.multiply(s))).toBe(true);
      expect(B().mulG1CachedSecret(P, s).equals(P.multiply(s))).toBe(true);
    }
  });

  it("ciphertext rows (g1^r, P^r g1^omega), zero exponents allowed on the public path", () => {
    const items = [
      [P, k(), k()],
      [P, R - 1n, 1n],
      [G1P.BASE, 2n, 3n],
    ] as const;
    const want = items.map(([Pt, r, o]) => [G1P.BASE.multiply(r), Pt.multiply(r).add(G1P.BASE.multiply(o))]);
    for (const rows of [B().rowsG1(items), B().rowsG1Secret(items)])
      rows.forEach(([a, b], i) => expect(a.equals(want[i][0]) && b.equals(want[i][1])).toBe(true));
    const [[c2, c3]] = B().rowsG1([[P, 0n, 5n]]);
    expect(c2.is0() && c3.equals(G1P.BASE.multiply(5n))).toBe(true);
  });

  it("square roots and subgroup checks for decompression", () => {
    const x = k();
    const sq = Fp.sqr(x);
    expect(Fp.sqr(B().sqrtFp(sq) as bigint)).toBe(sq);
    expect(B().sqrtFp(Fp.neg(sq))).toBeNull(); // -1 is a non-residue mod p
    const a = Fp2F.sqr(Fp2F.create({ c0: k(), c1: k() }));
    expect(Fp2F.eql(Fp2F.sqr(B().sqrtFp2(a) as Fp2), a)).toBe(true);
    expect(B().sqrtFp2(Fp2F.mul(a, Fp2F.NONRESIDUE))).toBeNull(); // 1 + u is a non-residue
    const [Pa, Qa] = [P.toAffine(), Q.toAffine()];
    expect(B().g1InSubgroup(new G1P(Pa.x, Pa.y, 1n))).toBe(true);
    expect(B().g2InSubgroup(new G2P(Qa.x, Qa.y, Fp2F.ONE))).toBe(true);
    const p1 = offSubgroupG1();
    const p2 = offSubgroupG2();
    expect(p1.isTorsionFree() || p2.isTorsionFree()).toBe(false);
    expect(B().g1InSubgroup(p1)).toBe(false);
    expect(B().g2InSubgroup(p2)).toBe(false);
  });

  it("hash to G1 and its powers", () => {
    const H = bls12_381.G1.hashToCurve(msg, { DST });
    expect(B().hashToG1(DST, msg).equals(H)).toBe(true);
    for (const s of [0n, ...ks])
      expect(
        B()
          .hashToG1Pow(DST, msg, s)
          .equals(s === 0n ? G1P.ZERO : H.multiply(s)),
      ).toBe(true);
  });

  it("pairing products, GT products, powers, tables and membership", () => {
    const P2 = G1P.BASE.multiply(k());
    const Q2 = G2P.BASE.multiply(k());
    const e = (a: G1, b: G2) => bls12_381.pairing(a, b);
    const want = Fp12.mul(e(P, Q), e(P2, Q2));
    expect(
      Fp12.eql(
        B().multiPair([
          [P, prepareG2(Q)],
          [P2, prepareG2(Q2)],
        ]),
        want,
      ),
    ).toBe(true);
    const x = e(P, Q);
    const y = e(P2, Q2);
    expect(Fp12.eql(B().gtProduct([x, y, x]), Fp12.mul(Fp12.mul(x, y), x))).toBe(true);
    for (const s of ks.filter((s) => s >= 2n)) expect(Fp12.eql(B().gtPow(x, s), Fp12.pow(x, s))).toBe(true);
    const [tx, ty] = [B().gtTable(x, 5), B().gtTable(y, 8)];
    expect(tx.owner).toBe(B());
    const [a, b] = [k(), k()];
    expect(
      Fp12.eql(
        B().gtPowMulti([
          [tx, a],
          [ty, b],
        ]),
        Fp12.mul(Fp12.pow(x, a), Fp12.pow(y, b)),
      ),
    ).toBe(true);
    expect(Fp12.eql(B().gtPowMulti([[tx, 0n]]), Fp12.ONE)).toBe(true);
    for (const cache of [false, true])
      expect(
        Fp12.eql(
          B().gtPowSecretMulti(
            [
              [x, a],
              [y, b],
            ],
            cache,
          ),
          Fp12.mul(Fp12.pow(x, a), Fp12.pow(y, b)),
        ),
      ).toBe(true);
    expect(B().isInGT(x)).toBe(true);
    const f = Fp12.fromBigTwelve([3n, 1n, 4n, 1n, 5n, 9n, 2n, 6n, 5n, 3n, 5n, 8n]);
    const t0 = Fp12.div(Fp12.frobeniusMap(f, 6), f);
    const cyclo = Fp12.mul(Fp12.frobeniusMap(t0, 2), t0); // cyclotomic, not in GT
    expect(B().isInGT(f)).toBe(false);
    expect(B().isInGT(cyclo)).toBe(false);
  });
});
