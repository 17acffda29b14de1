/**
 * Merkle tree over record ciphertexts (RFC 9162 shape: leaf = H(0x00 || data),
 * node = H(0x01 || left || right), left subtree = largest power of two below n), so a single
 * record can be verified against the envelope's root with a log-size proof.
 *
 * Exports: leafHash, merkleRoot, merkleProof, merkleProofs, verifyMerkleProof, Sha256.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesEqual, concatBytes } from "./codec";
import { AbeError } from "./errors";
import type { MerkleProof } from "./types";

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** SHA-256 as a function of its input bytes (the default is @noble/hashes; a server may pass its native one). */
export type Sha256 = (data: Uint8Array) => Uint8Array;

export const leafHash = (data: Uint8Array, hash: Sha256 = sha256): Uint8Array => hash(concatBytes(LEAF, data));
const nodeHash = (l: Uint8Array, r: Uint8Array, hash: Sha256 = sha256): Uint8Array => hash(concatBytes(NODE, l, r));

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function rootOf(leaves: readonly Uint8Array[], hash: Sha256 = sha256): Uint8Array {
  if (leaves.length === 1) return leaves[0];
  const k = split(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k), hash), rootOf(leaves.slice(k), hash), hash);
}

/** Root over leaf hashes (non-empty). `hash`: SHA-256 from elsewhere (the same root, faster where native). */
export function merkleRoot(leafHashes: readonly Uint8Array[], hash: Sha256 = sha256): Uint8Array {
  if (leafHashes.length === 0) throw new AbeError("INVALID_ARGUMENT", "empty Merkle tree");
  return rootOf(leafHashes, hash);
}

/** Audit path for leaf `index`, bottom-up. */
export function merkleProof(leafHashes: readonly Uint8Array[], index: number): MerkleProof {
  const count = leafHashes.length;
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new AbeError("INVALID_ARGUMENT", "leaf index out of range");
  const path: Uint8Array[] = [];
  const walk = (leaves: readonly Uint8Array[], i: number): void => {
    if (leaves.length === 1) return;
    const k = split(leaves.length);
    if (i < k) {
      walk(leaves.slice(0, k), i);
      path.push(rootOf(leaves.slice(k)));
    } else {
      walk(leaves.slice(k), i - k);
      path.push(rootOf(leaves.slice(0, k)));
    }
  };
  walk(leafHashes, index);
  return { index, count, path };
}

/** RFC 9162 section 2.1.3.2 inclusion verification. */
export function verifyMerkleProof(root: Uint8Array, leaf: Uint8Array, proof: MerkleProof): boolean {
  const { index, count, path } = proof;
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) return false;
  let fn = index;
  let sn = count - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}

/**
 * Audit paths for several leaves of one tree, each subtree hashed once (the CSP serves a
 * cluster's records, each with its proof, without rehashing the tree per record).
 */
export function merkleProofs(leafHashes: readonly Uint8Array[], indices: readonly number[]): MerkleProof[] {
  const count = leafHashes.length;
  const memo = new Map<number, Uint8Array>();
  // A subtree is identified by its first leaf and size; sizes below 2^26 keep the key exact.
  const subtree = (lo: number, n: number): Uint8Array => {
    if (n === 1) return leafHashes[lo];
    const key = lo * 67_108_864 + n;
    let h = memo.get(key);
    if (!h) {
      const k = split(n);
      h = nodeHash(subtree(lo, k), subtree(lo + k, n - k));
      memo.set(key, h);
    }
    return h;
  };
  return indices.map((index) => {
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new AbeError("INVALID_ARGUMENT", "leaf index out of range");
    const path: Uint8Array[] = [];
    const walk = (lo: number, n: number, i: number): void => {
      if (n === 1) return;
      const k = split(n);
      if (i < k) {
        walk(lo, k, i);
        path.push(subtree(lo + k, n - k));
      } else {
        walk(lo + k, n - k, i - k);
        path.push(subtree(lo, k));
      }
    };
    walk(0, count, index);
    return { index, count, path };
  });
}
