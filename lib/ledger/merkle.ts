import { sha256 } from "@noble/hashes/sha2.js";

/**
 * RFC 9162 (Certificate Transparency 2.0) Merkle tree, §2.1: pure functions, isomorphic (the
 * hospital's and the researcher's browsers verify proofs with the same code).
 * Leaves are indexed from 0; a tree of size n covers leaves 0..n-1.
 */
export type Hash = Uint8Array;
/** The hash of the complete subtree of 2^level leaves starting at leaf index * 2^level. */
export type NodeGetter = (level: number, index: number) => Hash;

const LEAF = Uint8Array.of(0x00);
const NODE = Uint8Array.of(0x01);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** MTH({d}) = SHA-256(0x00 || d). */
export const leafHash = (data: Uint8Array): Hash => sha256(concat(LEAF, data));
/** SHA-256(0x01 || left || right). */
export const nodeHash = (left: Hash, right: Hash): Hash => sha256(concat(NODE, left, right));
/** MTH({}) = SHA-256(""). */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

/** The largest power of two smaller than n (n >= 2): RFC 9162's k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number) => Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;

/** MTH(D[lo:hi]) from stored complete subtrees: O(log n) nodes for any range the RFC recursion asks for. */
export function rangeHash(get: NodeGetter, lo: number, hi: number): Hash {
  const n = hi - lo;
  if (n === 0) return EMPTY_ROOT;
  if (isPowerOfTwo(n) && lo % n === 0) return get(Math.log2(n), lo / n);
  const k = splitPoint(n);
  return nodeHash(rangeHash(get, lo, lo + k), rangeHash(get, lo + k, hi));
}

export const rootHash = (get: NodeGetter, size: number): Hash => rangeHash(get, 0, size);

/** PATH(m, D[n]) (RFC 9162 §2.1.3.1), leaf-to-root order. */
export function inclusionPath(get: NodeGetter, index: number, size: number): Hash[] {
  if (!(index >= 0 && index < size)) throw new RangeError("leaf index outside the tree");
  const path: Hash[] = [];
  let lo = 0;
  let hi = size;
  let m = index;
  // Walk down, collecting siblings root-first; reversed at the end.
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (m < k) {
      path.push(rangeHash(get, lo + k, hi));
      hi = lo + k;
    } else {
      path.push(rangeHash(get, lo, lo + k));
      lo += k;
      m -= k;
    }
  }
  return path.reverse();
}

/** PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (RFC 9162 §2.1.4.1), for 0 < first <= second. */
export function consistencyProof(get: NodeGetter, first: number, second: number): Hash[] {
  if (!(first > 0 && first <= second)) throw new RangeError("consistency needs 0 < first <= second");
  const proof: Hash[] = [];
  let lo = 0;
  let hi = second;
  let m = first;
  let complete = true;
  while (m !== hi - lo) {
    const n = hi - lo;
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(rangeHash(get, lo + k, hi));
      hi = lo + k;
    } else {
      proof.push(rangeHash(get, lo, lo + k));
      lo += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) proof.push(rangeHash(get, lo, hi));
  return proof.reverse();
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** RFC 9162 §2.1.3.2: does `path` prove that `leaf` is leaf `index` of the tree of `size` with `root`? */
export function verifyInclusion(leaf: Hash, index: number, size: number, path: Hash[], root: Hash): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree (second, secondRoot) extends (first, firstRoot)? */
export function verifyConsistency(first: number, second: number, proof: Hash[], firstRoot: Hash, secondRoot: Hash): boolean {
  if (!(Number.isSafeInteger(first) && Number.isSafeInteger(second) && first >= 0 && first <= second)) return false;
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0; // the empty tree is a prefix of every tree
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof;
  if (path.length === 0) return false;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}

/** An in-memory tree of complete subtrees (tests, the benchmark): levels[l][i] as in NodeGetter. */
export class MemoryTree {
  readonly levels: Hash[][] = [[]];
  get size() {
    return this.levels[0].length;
  }
  /** Appends a leaf hash and every complete subtree it closes (what lib/ledger/tree.ts stores per append). */
  append(leaf: Hash) {
    let level = 0;
    let index = this.levels[0].length;
    let hash = leaf;
    this.levels[0].push(hash);
    while (index % 2 === 1) {
      hash = nodeHash(this.levels[level][index - 1], hash);
      level += 1;
      index = (index - 1) / 2;
      (this.levels[level] ??= []).push(hash);
    }
  }
  readonly get: NodeGetter = (level, index) => {
    const h = this.levels[level]?.[index];
    if (!h) throw new RangeError(`no node (${level}, ${index})`);
    return h;
  };
}

/** The (level, index) pairs an append of leaf `index` stores: the leaf and each subtree it completes. */
export function nodesClosedBy(index: number): Array<{ level: number; index: number }> {
  const out = [{ level: 0, index }];
  let level = 0;
  let i = index;
  while (i % 2 === 1) {
    level += 1;
    i = (i - 1) / 2;
    out.push({ level, index: i });
  }
  return out;
}

/** Runs `produce` once to learn which stored nodes it reads (so a store can fetch them in one query). */
export function nodesRead<T>(produce: (get: NodeGetter) => T): Array<{ level: number; index: number }> {
  const seen = new Map<string, { level: number; index: number }>();
  produce((level, index) => {
    seen.set(`${level}:${index}`, { level, index });
    return EMPTY_ROOT;
  });
  return [...seen.values()];
}

export const toHex = (h: Uint8Array) => Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");
export function fromHex(hex: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw new Error("not hex");
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
}
