import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2.js";
import { leafHash, merkleProof, merkleProofs, merkleRoot, verifyMerkleProof } from "./merkle";

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(new Uint8Array([i, i >> 8])));

describe("Merkle tree (RFC 9162 shape)", () => {
  it("matches the RFC 9162 definition for small trees", () => {
    const h = (...p: Uint8Array[]) => sha256(new Uint8Array(p.flatMap((x) => [...x])));
    const L = leaves(3);
    const n01 = h(new Uint8Array([1]), L[0], L[1]);
    expect(merkleRoot(L)).toEqual(h(new Uint8Array([1]), n01, L[2]));
    expect(merkleRoot(L.slice(0, 1))).toEqual(L[0]);
  });

  it("every leaf of every tree size up to 40 verifies; wrong leaf, index or root does not", () => {
    for (let n = 1; n <= 40; n++) {
      const L = leaves(n);
      const root = merkleRoot(L);
      for (let i = 0; i < n; i++) {
        const p = merkleProof(L, i);
        expect(verifyMerkleProof(root, L[i], p)).toBe(true);
        expect(verifyMerkleProof(root, L[(i + 1) % n], p)).toBe(n === 1);
        if (n > 1) expect(verifyMerkleProof(root, L[i], { ...p, index: (i + 1) % n })).toBe(false);
        expect(verifyMerkleProof(new Uint8Array(32), L[i], p)).toBe(false);
      }
    }
  });

  // (The count is not authenticated by a proof alone: verifyRecord takes it from the envelope.)
  it("random proof mutations never verify", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.nat(), fc.nat(), fc.nat(), (n, i0, j0, bit) => {
        const L = leaves(n);
        const i = i0 % n;
        const p = merkleProof(L, i);
        const path = p.path.map((x) => x.slice());
        const j = j0 % path.length;
        path[j][bit % 32] ^= 1 << (bit % 8);
        return !verifyMerkleProof(merkleRoot(L), L[i], { ...p, path });
      }),
      { numRuns: 300 },
    );
  });

  it("merkleProofs gives, for any subset of leaves, the same paths as merkleProof", () => {
    for (const n of [1, 2, 3, 7, 8, 9, 33, 100]) {
      const L = leaves(n);
      const picked = Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 1);
      expect(merkleProofs(L, picked)).toEqual(picked.map((i) => merkleProof(L, i)));
    }
    expect(() => merkleProofs(leaves(4), [4])).toThrow(/out of range/);
  });

  it("gives the same leaves and roots with another SHA-256 (the CSP passes Node's native one)", () => {
    const native = (d: Uint8Array) => new Uint8Array(createHash("sha256").update(d).digest());
    for (const n of [1, 2, 3, 7, 64, 100]) {
      const data = Array.from({ length: n }, (_, i) => new Uint8Array([i, 7, i >> 8]));
      const L = data.map((d) => leafHash(d));
      expect(data.map((d) => leafHash(d, native))).toEqual(L);
      expect(merkleRoot(L, native)).toEqual(merkleRoot(L));
    }
  });
});
