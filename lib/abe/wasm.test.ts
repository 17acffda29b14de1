/**
 * Differential tests of the wasm arithmetic against noble (the reference implementation):
 * field and tower operations, GT exponentiation, G1/G2 scalar multiplication, hash_to_curve,
 * pairings. (fallback.test.ts covers the scheme with WebAssembly switched off.)
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { Fp2 } from "@noble/curves/abstract/tower.js";
import { genFieldModule } from "./wasm/field-gen";
import { FIELD_MODULE_LAYOUT } from "./wasm/field-module.generated";
import { fieldModuleBytes, fieldWasm, fp12ToLimbs, limbsToFp12, readFp, readFp2, writeFp, writeFp2 } from "./wasm/runtime";
import { WasmFixedBase, wasmMulVar, wasmSqrtFp, wasmSqrtFp2 } from "./wasm/curve";
import { WasmGtTable, wasmGtPow, wasmGtPowMulti, wasmIsInGT } from "./wasm/gt";
import { wasmHashToG1 } from "./wasm/h2c";
import { wasmLines, wasmPairingProduct } from "./wasm/pairing";
import { type G1, type G2, R, egg, g1, g2, gtPowRef, hashToG1Pow, pairRef, randomFr } from "./group";
import { expandMessageXmd } from "./xmd";
import { modInverse } from "./fpinv";
import { expand_message_xmd } from "@noble/curves/abstract/hash-to-curve.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { seededRng } from "./testing";

const { Fp, Fp2: Fp2F, Fp12 } = bls12_381.fields;
const P = Fp.ORDER;
const w = fieldWasm();
const rng = seededRng("wasm-test");
const fpArb = fc.oneof(fc.bigInt({ min: 0n, max: P - 1n }), fc.constantFrom(0n, 1n, 2n, P - 1n, P - 2n, (P - 1n) / 2n, (P + 1n) / 2n, 1n << 380n));
const fp2Arb = fc.record({ c0: fpArb, c1: fpArb });

describe("wasm field module", () => {
  it("loads (WebAssembly is available in Node and in the browsers we target)", () => {
    expect(w).not.toBeNull();
  });

  it("the checked-in module is what the generator produces now (else: npm run gen:wasm)", () => {
    const gen = genFieldModule(P);
    expect(Buffer.from(fieldModuleBytes()).equals(Buffer.from(gen.bytes))).toBe(true);
    expect(FIELD_MODULE_LAYOUT).toEqual(gen.layout);
  });

  it("Fp and Fp2 arithmetic equals noble's on random and edge values (outputs canonical)", () => {
    const W = w!;
    const [A, B, C] = [W.alloc(112), W.alloc(112), W.alloc(112)];
    fc.assert(
      fc.property(fpArb, fpArb, fp2Arb, fp2Arb, (x, y, a, b) => {
        writeFp(W, A, x);
        writeFp(W, B, y);
        W.fp_mul(C, A, B);
        expect(readFp(W, C)).toBe(Fp.mul(x, y));
        for (let i = 0; i < 14; i++) expect(W.u32[C / 4 + i]).toBeLessThan(2 ** 28);
        W.fp_add(C, A, B);
        expect(readFp(W, C)).toBe(Fp.add(x, y));
        W.fp_sub(C, A, B);
        expect(readFp(W, C)).toBe(Fp.sub(x, y));
        writeFp2(W, A, a as Fp2);
        writeFp2(W, B, b as Fp2);
        W.fp2_mul(C, A, B);
        expect(Fp2F.eql(readFp2(W, C), Fp2F.mul(a as Fp2, b as Fp2))).toBe(true);
        W.fp2_sqr(C, A);
        expect(Fp2F.eql(readFp2(W, C), Fp2F.sqr(a as Fp2))).toBe(true);
        W.fp2_mul(A, A, B); // output aliasing an input
        expect(Fp2F.eql(readFp2(W, A), Fp2F.mul(a as Fp2, b as Fp2))).toBe(true);
        return true;
      }),
      { numRuns: 400 },
    );
  });

  it("Fp12 multiplication, squaring, cyclotomic squaring, conjugation and Frobenius equal noble's", () => {
    const W = w!;
    const [A, B, C] = [W.alloc(672), W.alloc(672), W.alloc(672)];
    const x = pairRef(g1.multiply(randomFr(rng)), g2);
    const y = Fp12.fromBigTwelve(Array.from({ length: 12 }, (_, i) => BigInt(i * 7919 + 1) * (1n << 300n)) as never);
    W.u32.set(fp12ToLimbs(x), A / 4);
    W.u32.set(fp12ToLimbs(y), B / 4);
    W.fp12_mul(C, A, B);
    expect(Fp12.eql(limbsToFp12(W.u32, C / 4), Fp12.mul(x, y))).toBe(true);
    W.fp12_sqr(C, B);
    expect(Fp12.eql(limbsToFp12(W.u32, C / 4), Fp12.sqr(y))).toBe(true);
    W.fp12_cyc_sqr(C, A);
    expect(Fp12.eql(limbsToFp12(W.u32, C / 4), Fp12.sqr(x))).toBe(true); // x is in GT, where the two agree
    W.fp12_conj(C, B);
    expect(Fp12.eql(limbsToFp12(W.u32, C / 4), Fp12.conjugate(y))).toBe(true);
    for (const k of [1, 2, 3] as const) {
      (k === 2 ? W.fp12_frob_even : W.fp12_frob_odd)(C, B, W.layout.frob[k - 1]);
      expect(Fp12.eql(limbsToFp12(W.u32, C / 4), Fp12.frobeniusMap(y, k))).toBe(true);
    }
  });
});

describe("Lehmer inversion", () => {
  it("equals noble's inverse mod p and mod r, including edge values", () => {
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: 1n, max: P - 1n }), fc.constantFrom(1n, 2n, P - 1n, P - 2n, (1n << 50n) + 1n, (1n << 200n) - 1n)), (a) => {
        expect(modInverse(a, P)).toBe(Fp.inv(a));
        const ar = (a % (R - 1n)) + 1n;
        expect((modInverse(ar, R) * ar) % R).toBe(1n);
        return true;
      }),
      { numRuns: 2000 },
    );
    expect(() => modInverse(0n, P)).toThrow();
    expect(() => modInverse(6n, 9n)).toThrow();
  });
});

describe("square roots (point decompression)", () => {
  it("Fp and Fp2 square roots agree with noble on squares and reject non-squares", () => {
    const W = w!;
    fc.assert(
      fc.property(fp2Arb, fc.boolean(), (a, real) => {
        const x = (real ? { c0: a.c0, c1: 0n } : a) as Fp2;
        let nobleRoot: Fp2 | null = null;
        try {
          nobleRoot = Fp2F.sqrt(x);
        } catch {
          nobleRoot = null;
        }
        const ours = wasmSqrtFp2(W, x);
        expect(ours === null).toBe(nobleRoot === null);
        if (ours) expect(Fp2F.eql(Fp2F.sqr(ours), x)).toBe(true);
        const sq = Fp2F.sqr(x);
        const back = wasmSqrtFp2(W, sq);
        expect(back !== null && Fp2F.eql(Fp2F.sqr(back), sq)).toBe(true);
        let fpRoot: bigint | null = null;
        try {
          fpRoot = Fp.sqrt(x.c0);
        } catch {
          fpRoot = null;
        }
        const r = wasmSqrtFp(W, x.c0);
        expect(r === null).toBe(fpRoot === null);
        if (r !== null) expect(Fp.sqr(r)).toBe(x.c0);
        return true;
      }),
      { numRuns: 150 },
    );
  });
});

describe("wasm group operations", () => {
  const scalars = [0n, 1n, 2n, 3n, 127n, 128n, 129n, 255n, 256n, (1n << 64n) - 1n, 1n << 128n, R - 1n, R - 128n, R - 2n];

  it("GT: variable-base power, fixed-base tables, multi-exponentiation, membership", () => {
    const W = w!;
    const base = pairRef(g1.multiply(7n), g2);
    const t = new WasmGtTable(W, base, 6);
    const t2 = new WasmGtTable(W, egg(), 8);
    for (const k of [...scalars, randomFr(rng), randomFr(rng)]) {
      const ref = gtPowRef(base, k);
      expect(Fp12.eql(wasmGtPow(W, base, k), ref)).toBe(true);
      expect(Fp12.eql(wasmGtPowMulti(W, [[t, k]]), ref)).toBe(true);
    }
    const [a, b] = [randomFr(rng), randomFr(rng)];
    expect(
      Fp12.eql(
        wasmGtPowMulti(W, [
          [t, a],
          [t2, b],
        ]),
        Fp12.mul(gtPowRef(base, a), gtPowRef(egg(), b)),
      ),
    ).toBe(true);
    expect(wasmIsInGT(W, base)).toBe(true);
    expect(wasmIsInGT(W, Fp12.fromBigTwelve([3n, 1n, 4n, 1n, 5n, 9n, 2n, 6n, 5n, 3n, 5n, 8n]))).toBe(false);
  });

  it("G1 and G2: fixed-base tables and variable-base (GLV on G1) equal noble for edge scalars", () => {
    const W = w!;
    const P1 = g1.multiply(123456789n);
    const Q2 = g2.multiply(987654321n);
    const t1 = new WasmFixedBase(W, "g1", P1);
    const t2 = new WasmFixedBase(W, "g2", Q2);
    for (const k of [...scalars, randomFr(rng)]) {
      expect((t1.mul(k) as G1).equals(P1.multiplyUnsafe(k))).toBe(true);
      expect((t2.mul(k) as G2).equals(Q2.multiplyUnsafe(k))).toBe(true);
      expect((wasmMulVar(W, "g1", P1, k) as G1).equals(P1.multiplyUnsafe(k))).toBe(true);
      expect((wasmMulVar(W, "g2", Q2, k) as G2).equals(Q2.multiplyUnsafe(k))).toBe(true);
    }
  });

  it("hash_to_curve G1 (RFC 9380 suite) and expand_message_xmd equal noble's", () => {
    const W = w!;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string({ minLength: 1, maxLength: 40 }), (msg, dstRaw) => {
        const dst = `T-${dstRaw}`;
        expect(wasmHashToG1(W, dst, msg).equals(bls12_381.G1.hashToCurve(msg, { DST: dst }))).toBe(true);
        for (const len of [32, 48, 128]) expect(expandMessageXmd(msg, dst, len)).toEqual(expand_message_xmd(msg, dst, len, sha256));
        return true;
      }),
      { numRuns: 25 },
    );
    const k = randomFr(rng);
    const m = new Uint8Array([1, 2, 3]);
    expect(hashToG1Pow("T-pow", m, k).equals(bls12_381.G1.hashToCurve(m, { DST: "T-pow" }).multiply(k))).toBe(true);
  });

  it("pairings (Miller loop + final exponentiation) equal noble's", () => {
    const W = w!;
    const pairs = [0, 1, 2].map(() => [g1.multiply(randomFr(rng)), g2.multiply(randomFr(rng))] as const);
    const got = wasmPairingProduct(
      W,
      pairs.map(([a, b]) => [a, wasmLines(bls12_381.utils.calcPairingPrecomputes(b))] as const),
    );
    expect(Fp12.eql(got, bls12_381.pairingBatch(pairs.map(([a, b]) => ({ g1: a, g2: b }))))).toBe(true);
  });
});
