import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import {
  consistencyProof,
  EMPTY_ROOT,
  fromHex,
  inclusionPath,
  leafHash,
  MemoryTree,
  nodeHash,
  nodesClosedBy,
  nodesRead,
  rootHash,
  splitPoint,
  toHex,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from "./merkle";

// The test vectors of RFC 6962's reference implementation (certificate-transparency-go merkle tests).
const LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(fromHex);
const ROOTS = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/** RFC 9162's definitions, written as literally as possible over the leaf list. */
function mth(d: Hash[]): Hash {
  if (d.length === 0) return EMPTY_ROOT;
  if (d.length === 1) return d[0];
  const k = splitPoint(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: Hash[]): Hash[] {
  if (d.length === 1) return [];
  const k = splitPoint(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: Hash[], b: boolean): Hash[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = splitPoint(d.length);
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

function treeOf(leaves: Hash[]) {
  const t = new MemoryTree();
  for (const l of leaves) t.append(l);
  return t;
}
const hex = (hs: Hash[]) => hs.map(toHex);

describe("RFC 9162 Merkle tree", () => {
  const hashes = LEAVES.map(leafHash);
  const tree = treeOf(hashes);

  it("has the reference roots for sizes 1 to 8 and SHA-256('') for the empty tree", () => {
    for (let n = 1; n <= 8; n++) expect(toHex(rootHash(tree.get, n))).toBe(ROOTS[n - 1]);
    expect(toHex(rootHash(tree.get, 0))).toBe(toHex(sha256(new Uint8Array(0))));
  });

  it("gives the reference inclusion path of leaf 0 in the tree of 8", () => {
    expect(hex(inclusionPath(tree.get, 0, 8))).toEqual([
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]);
  });

  it("gives the reference consistency proof from 1 to 8", () => {
    expect(hex(consistencyProof(tree.get, 1, 8))).toEqual([
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ]);
  });

  it("agrees with the RFC's recursive definitions and verifies every proof up to 40 leaves", () => {
    const leaves = Array.from({ length: 40 }, (_, i) => leafHash(Uint8Array.of(i, i * 7)));
    const t = treeOf(leaves);
    for (let n = 1; n <= 40; n++) {
      const d = leaves.slice(0, n);
      const root = rootHash(t.get, n);
      expect(toHex(root)).toBe(toHex(mth(d)));
      for (let m = 0; m < n; m++) {
        const p = inclusionPath(t.get, m, n);
        expect(hex(p)).toEqual(hex(path(m, d)));
        expect(verifyInclusion(leaves[m], m, n, p, root)).toBe(true);
      }
      for (let m = 1; m <= n; m++) {
        const p = consistencyProof(t.get, m, n);
        expect(hex(p)).toEqual(hex(m === n ? [] : subproof(m, d, true)));
        expect(verifyConsistency(m, n, p, rootHash(t.get, m), root)).toBe(true);
      }
    }
  });

  it("rejects a wrong leaf, index, size, root or a tampered path", () => {
    const leaves = Array.from({ length: 13 }, (_, i) => leafHash(Uint8Array.of(i)));
    const t = treeOf(leaves);
    const root = rootHash(t.get, 13);
    const p = inclusionPath(t.get, 5, 13);
    expect(verifyInclusion(leaves[5], 5, 13, p, root)).toBe(true);
    expect(verifyInclusion(leaves[6], 5, 13, p, root)).toBe(false);
    expect(verifyInclusion(leaves[5], 4, 13, p, root)).toBe(false);
    expect(verifyInclusion(leaves[5], 5, 8, p, root)).toBe(false);
    expect(verifyInclusion(leaves[5], 5, 13, p, rootHash(t.get, 12))).toBe(false);
    expect(verifyInclusion(leaves[5], 5, 13, [...p.slice(0, -1)], root)).toBe(false);
    expect(verifyInclusion(leaves[5], 5, 13, [...p, p[0]], root)).toBe(false);
    const bad = p.map((h) => h.slice());
    bad[1][0] ^= 1;
    expect(verifyInclusion(leaves[5], 5, 13, bad, root)).toBe(false);
    expect(verifyInclusion(leaves[5], 13, 13, p, root)).toBe(false);
  });

  it("rejects a consistency proof for a forked or rolled-back tree", () => {
    const leaves = Array.from({ length: 20 }, (_, i) => leafHash(Uint8Array.of(i)));
    const t = treeOf(leaves);
    const forked = treeOf([...leaves.slice(0, 6), leafHash(Uint8Array.of(99)), ...leaves.slice(7)]);
    // The fork's proof from 11 to 20 does not tie the fork's head to the genuine head of 11.
    const proof = consistencyProof(forked.get, 11, 20);
    expect(verifyConsistency(11, 20, proof, rootHash(t.get, 11), rootHash(forked.get, 20))).toBe(false);
    expect(verifyConsistency(11, 20, consistencyProof(t.get, 11, 20), rootHash(t.get, 11), rootHash(forked.get, 20))).toBe(false);
    // Same size, different root: a fork.
    expect(verifyConsistency(20, 20, [], rootHash(t.get, 20), rootHash(forked.get, 20))).toBe(false);
    // A smaller "new" head is never consistent (rollback).
    expect(verifyConsistency(20, 15, [], rootHash(t.get, 20), rootHash(t.get, 15))).toBe(false);
    const good = consistencyProof(t.get, 8, 20);
    expect(verifyConsistency(8, 20, good, rootHash(t.get, 8), rootHash(t.get, 20))).toBe(true);
    expect(verifyConsistency(8, 20, good.slice(1), rootHash(t.get, 8), rootHash(t.get, 20))).toBe(false);
  });

  it("verifies proofs in random trees of up to 5,000 leaves", () => {
    const leaves = Array.from({ length: 5000 }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));
    const t = treeOf(leaves);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(Math.random() * 5000);
      const m = Math.floor(Math.random() * n);
      const root = rootHash(t.get, n);
      expect(verifyInclusion(leaves[m], m, n, inclusionPath(t.get, m, n), root)).toBe(true);
      expect(verifyConsistency(m + 1, n, consistencyProof(t.get, m + 1, n), rootHash(t.get, m + 1), root)).toBe(true);
      expect(inclusionPath(t.get, m, n).length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
    }
  });

  it("stores per append exactly the subtrees the append completes, and proofs read O(log n) of them", () => {
    expect(nodesClosedBy(0)).toEqual([{ level: 0, index: 0 }]);
    expect(nodesClosedBy(7)).toEqual([
      { level: 0, index: 7 },
      { level: 1, index: 3 },
      { level: 2, index: 1 },
      { level: 3, index: 0 },
    ]);
    const t = treeOf(Array.from({ length: 1000 }, (_, i) => leafHash(Uint8Array.of(i & 255, i >> 8))));
    expect(t.levels.reduce((n, l) => n + l.length, 0)).toBe(2000 - 6); // 2n - popcount(n)
    const read = nodesRead((get) => inclusionPath(get, 517, 999));
    expect(read.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(999)));
  });
});
