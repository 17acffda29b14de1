/**
 * Group layer for ABE-OD and ABS on BLS12-381 (@noble/curves 2.x types). The functions here
 * reduce scalars, handle identities and report public exponents (./trace); the arithmetic runs
 * on one backend (./backend: the generated wasm field module, or noble alone when WebAssembly
 * is unavailable), chosen once.
 *
 * Types:      G1, G2 (noble Weierstrass points), GT (Fp12 element of the order-r subgroup),
 *             Fr (bigint mod r), Rng, G2Prepared, GtTable, Group.
 * Scalars:    R, P, frMod, frAdd, frSub, frMul, frNeg, frInv, frDiv, randomFr, defaultRng,
 *             hashToFr, encodeFr, decodeFr.
 * Points:     g1, g2, G1_ZERO, G2_ZERO, g1Mul, g2Mul (fixed-base tables), mulG1, mulG2 (variable
 *             base), mulG1Cached (long-lived base), rowsG1 (ciphertext rows); for secret
 *             scalars (fixed operation sequence) g1MulSecret, g2MulSecret, mulG1Secret,
 *             mulG2Secret, mulG1CachedSecret, rowsG1Secret, gtPowSecret(Multi), eggPowSecret;
 *             G1Points, G2Points (constructors).
 * Pairing:    pair, multiPair (one final exponentiation), prepareG2, pairRef, egg (= e(g1,g2)).
 * GT:         GT_ONE, gtMul, gtDiv, gtInv, gtEq, gtPow (Frobenius split), gtPowRef (generic),
 *             GtTable / gtTable (fixed-base comb), gtPowMulti, eggPow, eggTable, isInGT.
 * Hashing:    hashGid (H(GID) -> G2, cached; DST_GID), hashToG1, hashToG1Pow, hashToG2
 *             (RFC 9380 hash_to_curve; every use passes its own DST).
 * Encodings:  encodeG1/decodeG1 (48 B), encodeG2/decodeG2 (96 B), encodeGT/decodeGT (576 B),
 *             encodeFr/decodeFr (32 B). Decoders throw only AbeError.
 * Paths:      fastGroup (the functions above) and referenceGroup (noble's single pairings,
 *             generic Fp12.pow, no precomputation, whatever the backend) implement `Group`;
 *             groupFor(opts) picks one; arithmeticBackend() names the backend in use.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import type { Fp12, Fp2 } from "@noble/curves/abstract/tower.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { AbeError } from "./errors";
import { type BackendGtTable, backend } from "./backend";
import { notePublic } from "./trace";
import { expandMessageXmd } from "./xmd";

export type G1 = WeierstrassPoint<bigint>;
export type G2 = WeierstrassPoint<Fp2>;
export type GT = Fp12;
export type Fr = bigint;
/** Source of uniformly random bytes; defaults to the platform CSPRNG through noble. */
export type Rng = (n: number) => Uint8Array;

const { Fp, Fp2: Fp2F, Fp12: Fp12F, Fr: FrF } = bls12_381.fields;
const G1Point = bls12_381.G1.Point;
const G2Point = bls12_381.G2.Point;

/** Prime order r of G1, G2 and GT. */
export const R: bigint = FrF.ORDER;
/** Base field modulus p. */
export const P: bigint = Fp.ORDER;

// ---------------------------------------------------------------------------------------------
// Scalars (Zr)
// ---------------------------------------------------------------------------------------------

export function frMod(a: bigint): Fr {
  const m = a % R;
  return m < 0n ? m + R : m;
}
export const frAdd = (a: Fr, b: Fr): Fr => frMod(a + b);
export const frSub = (a: Fr, b: Fr): Fr => frMod(a - b);
export const frMul = (a: Fr, b: Fr): Fr => frMod(a * b);
export const frNeg = (a: Fr): Fr => frMod(-a);
export function frInv(a: Fr): Fr {
  if (frMod(a) === 0n) throw new AbeError("INVALID_ARGUMENT", "inverse of zero in Zr");
  return FrF.inv(frMod(a));
}
export const frDiv = (a: Fr, b: Fr): Fr => frMul(a, frInv(b));

function bytesToBigint(b: Uint8Array): bigint {
  let hex = "";
  for (let i = 0; i < b.length; i++) hex += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return hex.length ? BigInt("0x" + hex) : 0n;
}
function bigintToBytes(x: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export const defaultRng: Rng = (n) => randomBytes(n);

/** Uniform nonzero scalar: 48 random bytes reduced mod r (bias < 2^-128, as in RFC 9380). */
export function randomFr(rng: Rng = defaultRng): Fr {
  for (;;) {
    const k = frMod(bytesToBigint(rng(48)));
    if (k !== 0n) return k;
  }
}

/** Length-prefixed concatenation so that distinct part lists never hash alike. */
function framed(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += 4 + p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out[o] = p.length >>> 24;
    out[o + 1] = (p.length >>> 16) & 0xff;
    out[o + 2] = (p.length >>> 8) & 0xff;
    out[o + 3] = p.length & 0xff;
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}

/**
 * Hash to Zr with a domain tag: RFC 9380 hash_to_field (expand_message_xmd, SHA-256, L = 48)
 * over the length-prefixed parts. Each use in the scheme has its own `dst`.
 */
export function hashToFr(dst: string, ...parts: Uint8Array[]): Fr {
  return frMod(bytesToBigint(expandMessageXmd(framed(parts), dst, 48)));
}

/** 32-byte big-endian encoding of a scalar (canonical: < r). */
export function encodeFr(k: Fr): Uint8Array {
  if (k < 0n || k >= R) throw new AbeError("INVALID_ARGUMENT", "scalar out of range");
  return bigintToBytes(k, 32);
}

export function decodeFr(bytes: Uint8Array, opts: { allowZero?: boolean } = {}): Fr {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new AbeError("DECODE_LENGTH", "scalar must be 32 bytes");
  const k = bytesToBigint(bytes);
  if (k >= R) throw new AbeError("DECODE_SCALAR", "scalar not reduced mod r");
  if (k === 0n && !opts.allowZero) throw new AbeError("DECODE_SCALAR", "zero scalar");
  return k;
}

// ---------------------------------------------------------------------------------------------
// G1 / G2
// ---------------------------------------------------------------------------------------------

/** Generators (noble's shared instances; their precomputation tables belong to noble). */
export const g1: G1 = G1Point.BASE;
export const g2: G2 = G2Point.BASE;
export const G1_ZERO: G1 = G1Point.ZERO;
export const G2_ZERO: G2 = G2Point.ZERO;

// Fresh copies without a window table: the reference path's generic scalar multiplication.
const g1Plain: G1 = new G1Point(g1.X, g1.Y, g1.Z);
const g2Plain: G2 = new G2Point(g2.X, g2.Y, g2.Z);

/** k·P for any k (0 gives the identity); variable time. */
export function mulG1(P: G1, k: Fr): G1 {
  const s = frMod(k);
  notePublic("mulG1", s);
  return s === 0n || P.is0() ? G1_ZERO : backend().mulG1(P, s);
}
export function mulG2(Q: G2, k: Fr): G2 {
  const s = frMod(k);
  notePublic("mulG2", s);
  return s === 0n || Q.is0() ? G2_ZERO : backend().mulG2(Q, s);
}

/** g1^k with the fixed-base table (built lazily on first use). */
export function g1Mul(k: Fr): G1 {
  const s = frMod(k);
  notePublic("g1Mul", s);
  return s === 0n ? G1_ZERO : backend().g1Mul(s);
}
/** g2^k with the fixed-base table. */
export function g2Mul(k: Fr): G2 {
  const s = frMod(k);
  notePublic("g2Mul", s);
  return s === 0n ? G2_ZERO : backend().g2Mul(s);
}
/** Is g2^k == Q? (On wasm: compared in Jacobian coordinates, without an inversion.) */
export function g2MulEquals(k: Fr, Q: G2): boolean {
  const s = frMod(k);
  notePublic("g2MulEquals", s);
  return s === 0n ? G2_ZERO.equals(Q) : backend().g2MulEquals(s, Q);
}
// ---------------------------------------------------------------------------------------------
// Secret exponents (issue #11 item 12). Everything above that takes a scalar is variable time
// (wasm tables indexed by digits, zero digits skipped, noble's multiplyUnsafe): for PUBLIC
// exponents only. Secret ones (master secrets, d and everything derived from it, z, ABS nonces)
// go through these, which each backend runs as a fixed operation sequence (backend/wasm.ts:
// masked-lookup combs and ladders; backend/noble.ts: noble's constant-time `multiply` on
// windowed copies, and the masked-lookup GT ladder and comb of wasm/gt-secret.ts over noble's
// Fp12). A zero scalar is only tested for the degenerate case (it never occurs for a uniformly
// drawn secret, probability 2^-255).
// ---------------------------------------------------------------------------------------------

/** g1^k for secret k. */
export function g1MulSecret(k: Fr): G1 {
  const s = frMod(k);
  return s === 0n ? G1_ZERO : backend().g1MulSecret(s);
}
/** g2^k for secret k. */
export function g2MulSecret(k: Fr): G2 {
  const s = frMod(k);
  return s === 0n ? G2_ZERO : backend().g2MulSecret(s);
}
export function mulG2Secret(Q: G2, k: Fr): G2 {
  const s = frMod(k);
  return s === 0n || Q.is0() ? G2_ZERO : backend().mulG2Secret(Q, s);
}
/** k·P for secret k and a variable point P (wasm: fixed-sequence signed-window ladder). */
export function mulG1Secret(P: G1, k: Fr): G1 {
  const s = frMod(k);
  return s === 0n || P.is0() ? G1_ZERO : backend().mulG1Secret(P, s);
}
/** k·P for secret k and long-lived P (a comb or window table per point instance). */
export function mulG1CachedSecret(P: G1, k: Fr): G1 {
  const s = frMod(k);
  return s === 0n || P.is0() ? G1_ZERO : backend().mulG1CachedSecret(P, s);
}
/**
 * (g1^r, P^r g1^omega) for secret r, omega: the G1 parts of ciphertext rows. On wasm all sums
 * accumulate in Jacobian registers through the secret combs and share one inversion.
 */
export function rowsG1Secret(items: ReadonlyArray<readonly [G1, Fr, Fr]>): [G1, G1][] {
  const degenerate = items.some(([Pt, r, omega]) => Pt.is0() || frMod(r) === 0n || frMod(omega) === 0n);
  if (degenerate) return items.map(([Pt, r, omega]) => [g1MulSecret(r), mulG1CachedSecret(Pt, r).add(g1MulSecret(omega))]);
  return backend().rowsG1Secret(items.map(([Pt, r, omega]) => [Pt, frMod(r), frMod(omega)] as const));
}
/** hash_to_curve(msg)^k for secret k (the hash itself is public). */
export function hashToG1PowSecret(dst: string, msg: Uint8Array, k: Fr): G1 {
  return mulG1Secret(hashToG1(dst, msg), k);
}

/**
 * prod a_i^(k_i) in GT for secret k_i: fixed operation sequence, masked table lookups
 * (wasm/gt-secret.ts). `cache`: the bases are long-lived (e(g1,g2), VK elements), so each gets
 * a cached fixed-base comb (64 lookups and multiplications per base, no squarings); otherwise
 * (a transient base such as B in A / B^z) the ladder with a per-call table.
 */
export function gtPowSecretMulti(terms: ReadonlyArray<readonly [GT, Fr]>, cache = false): GT {
  return backend().gtPowSecretMulti(
    terms.map(([a, k]) => [a, frMod(k)] as const),
    cache,
  );
}
/** a^k in GT for secret k and a transient base (B in K = A / B^z). */
export function gtPowSecret(a: GT, k: Fr): GT {
  return gtPowSecretMulti([[a, k]]);
}
/** e(g1,g2)^k for secret k. */
export function eggPowSecret(k: Fr): GT {
  return gtPowSecretMulti([[egg(), k]], true);
}

/** k·P where P is long-lived (e.g. a VK point): precomputes a table for P once. */
export function mulG1Cached(P: G1, k: Fr): G1 {
  const s = frMod(k);
  notePublic("mulG1Cached", s);
  return s === 0n || P.is0() ? G1_ZERO : backend().mulG1Cached(P, s);
}

/**
 * The G1 parts of ciphertext rows: (C2, C3) = (g1^r, P^r * g1^omega) for long-lived P. On wasm
 * every sum is accumulated from the fixed-base tables and all outputs share one inversion.
 */
export function rowsG1(items: ReadonlyArray<readonly [G1, Fr, Fr]>): [G1, G1][] {
  for (const [, r, omega] of items) {
    notePublic("rowsG1", frMod(r));
    notePublic("rowsG1", frMod(omega));
  }
  if (items.some(([P]) => P.is0())) return items.map(([P, r, omega]) => [g1Mul(r), mulG1Cached(P, r).add(g1Mul(omega))]);
  return backend().rowsG1(items.map(([P, r, omega]) => [P, frMod(r), frMod(omega)] as const));
}

// ---------------------------------------------------------------------------------------------
// Encodings of points (compressed, ZCash/IETF flags), without noble's per-call subgroup check
// ---------------------------------------------------------------------------------------------

const HALF_P = (P - 1n) / 2n;
const FLAG_COMPRESSED = 0x80;
const FLAG_INFINITY = 0x40;
const FLAG_SORT = 0x20;

/**
 * 48-byte compressed G1 encoding. Points reaching here were decoded with subgroup checks or
 * computed from such points, so noble's `toBytes` (which re-runs a ~2 ms subgroup check on
 * every fresh point) is bypassed on purpose; the bytes are identical.
 */
export function encodeG1(Pt: G1): Uint8Array {
  if (Pt.is0()) {
    const out = new Uint8Array(48);
    out[0] = FLAG_COMPRESSED | FLAG_INFINITY;
    return out;
  }
  const { x, y } = Pt.toAffine();
  const out = bigintToBytes(x, 48);
  out[0] |= FLAG_COMPRESSED | (y > HALF_P ? FLAG_SORT : 0);
  return out;
}

/** 96-byte compressed G2 encoding: x.c1 || x.c0, sort bit from y.c1 (or y.c0 when y.c1 = 0). */
export function encodeG2(Q: G2): Uint8Array {
  const out = new Uint8Array(96);
  if (Q.is0()) {
    out[0] = FLAG_COMPRESSED | FLAG_INFINITY;
    return out;
  }
  const { x, y } = Q.toAffine();
  out.set(bigintToBytes(x.c1, 48), 0);
  out.set(bigintToBytes(x.c0, 48), 48);
  const big = y.c1 !== 0n ? y.c1 > HALF_P : y.c0 > HALF_P;
  out[0] |= FLAG_COMPRESSED | (big ? FLAG_SORT : 0);
  return out;
}

type PointFlags = { infinity: boolean; sort: boolean };
function parseFlags(bytes: Uint8Array, len: number, what: string): PointFlags {
  if (!(bytes instanceof Uint8Array) || bytes.length !== len) throw new AbeError("DECODE_LENGTH", `${what} must be ${len} bytes`);
  const f = bytes[0];
  if (!(f & FLAG_COMPRESSED)) throw new AbeError("DECODE_POINT", `${what}: only compressed encodings are accepted`);
  const infinity = (f & FLAG_INFINITY) !== 0;
  const sort = (f & FLAG_SORT) !== 0;
  if (infinity) {
    if (sort || (f & 0x1f) !== 0) throw new AbeError("DECODE_POINT", `${what}: non-canonical infinity`);
    for (let i = 1; i < len; i++) if (bytes[i] !== 0) throw new AbeError("DECODE_POINT", `${what}: non-canonical infinity`);
  }
  return { infinity, sort };
}

function readFp(bytes: Uint8Array, off: number, clearFlags: boolean, what: string): bigint {
  // Uint8Array's slice copies; a Node Buffer's would be a view, and clearing flags would
  // then corrupt the caller's bytes.
  const b = Uint8Array.prototype.slice.call(bytes, off, off + 48);
  if (clearFlags) b[0] &= 0x1f;
  const v = bytesToBigint(b);
  if (v >= P) throw new AbeError("DECODE_POINT", `${what}: coordinate not reduced mod p`);
  return v;
}

export type PointDecodeOptions = { allowIdentity?: boolean };

/** Strict decoder: canonical, on the curve, in the order-r subgroup, identity only if allowed. */
export function decodeG1(bytes: Uint8Array, opts: PointDecodeOptions = {}): G1 {
  const { infinity, sort } = parseFlags(bytes, 48, "G1 point");
  if (infinity) {
    if (!opts.allowIdentity) throw new AbeError("DECODE_IDENTITY", "G1 identity not allowed here");
    return G1_ZERO;
  }
  const x = readFp(bytes, 0, true, "G1 point");
  const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n); // y^2 = x^3 + 4
  const b = backend();
  let y = b.sqrtFp(rhs);
  if (y === null || !Fp.eql(Fp.sqr(y), rhs)) throw new AbeError("DECODE_POINT", "G1 point: x is not on the curve");
  if (y > HALF_P !== sort) y = Fp.neg(y);
  const pt = new G1Point(x, y, Fp.ONE);
  if (!b.g1InSubgroup(pt)) throw new AbeError("DECODE_SUBGROUP", "G1 point outside the order-r subgroup");
  return pt;
}

const G2_B: Fp2 = Fp2F.create({ c0: 4n, c1: 4n }); // y^2 = x^3 + 4(1 + i)
export function decodeG2(bytes: Uint8Array, opts: PointDecodeOptions = {}): G2 {
  const { infinity, sort } = parseFlags(bytes, 96, "G2 point");
  if (infinity) {
    if (!opts.allowIdentity) throw new AbeError("DECODE_IDENTITY", "G2 identity not allowed here");
    return G2_ZERO;
  }
  const x: Fp2 = Fp2F.create({ c1: readFp(bytes, 0, true, "G2 point"), c0: readFp(bytes, 48, false, "G2 point") });
  const rhs = Fp2F.add(Fp2F.mul(Fp2F.sqr(x), x), G2_B);
  const b = backend();
  let y = b.sqrtFp2(rhs);
  if (y === null || !Fp2F.eql(Fp2F.sqr(y), rhs)) throw new AbeError("DECODE_POINT", "G2 point: x is not on the curve");
  const big = y.c1 !== 0n ? y.c1 > HALF_P : y.c0 > HALF_P;
  if (big !== sort) y = Fp2F.neg(y);
  const pt = new G2Point(x, y, Fp2F.ONE);
  if (!b.g2InSubgroup(pt)) throw new AbeError("DECODE_SUBGROUP", "G2 point outside the order-r subgroup");
  return pt;
}

// ---------------------------------------------------------------------------------------------
// Hash to curve (RFC 9380, hash_to_curve = random-oracle variant, one DST per use)
// ---------------------------------------------------------------------------------------------

/** H: {0,1}* -> G2 for global identifiers (Lewko-Waters H(GID)). */
export const DST_GID = "MEDSHARE-V1-GID_BLS12381G2_XMD:SHA-256_SSWU_RO_";

/** RFC 9380 hash_to_curve into G1 with a caller-chosen DST (each use must have its own). */
export function hashToG1(dst: string, msg: Uint8Array): G1 {
  if (dst.length === 0) throw new AbeError("INVALID_ARGUMENT", "empty DST");
  return backend().hashToG1(dst, msg);
}
export function hashToG2(dst: string, msg: Uint8Array): G2 {
  if (dst.length === 0) throw new AbeError("INVALID_ARGUMENT", "empty DST");
  return bls12_381.G2.hashToCurve(msg, { DST: dst });
}

/** hash_to_curve(msg)^k in G1 (wasm: without converting the hash point in between). */
export function hashToG1Pow(dst: string, msg: Uint8Array, k: Fr): G1 {
  notePublic("hashToG1Pow", frMod(k));
  if (dst.length === 0) throw new AbeError("INVALID_ARGUMENT", "empty DST");
  return backend().hashToG1Pow(dst, msg, frMod(k));
}

const GID_CACHE_MAX = 256;
const gidCache = new Map<string, G2>();
/** H(GID) in G2 (about 20 ms uncached, so memoised; bounded, oldest entry evicted first). */
export function hashGid(gid: string): G2 {
  const hit = gidCache.get(gid);
  if (hit) return hit;
  const h = hashToG2(DST_GID, new TextEncoder().encode(gid));
  if (gidCache.size >= GID_CACHE_MAX) gidCache.delete(gidCache.keys().next().value as string);
  gidCache.set(gid, h);
  return h;
}

// ---------------------------------------------------------------------------------------------
// Pairing
// ---------------------------------------------------------------------------------------------

type MillerLines = ReturnType<typeof bls12_381.utils.calcPairingPrecomputes>;
/** A G2 point with its Miller-loop line coefficients (reusable across pairings). */
export type G2Prepared = { readonly point: G2; readonly lines: MillerLines };

const linesCache = new WeakMap<G2, MillerLines>();
/** Precompute (and remember, per point instance) the Miller-loop lines of a G2 point. */
export function prepareG2(Q: G2): G2Prepared {
  let lines = linesCache.get(Q);
  if (!lines) {
    if (Q.is0()) throw new AbeError("INVALID_ARGUMENT", "cannot prepare the G2 identity");
    lines = bls12_381.utils.calcPairingPrecomputes(Q);
    linesCache.set(Q, lines);
  }
  return { point: Q, lines };
}

export const GT_ONE: GT = Fp12F.ONE;

/**
 * prod_i e(P_i, Q_i) with a single final exponentiation. Identity terms contribute 1 and are
 * skipped (noble rejects them). Inputs are trusted group elements (decoded with subgroup
 * checks, or computed from such), so noble's per-call validity checks are bypassed.
 */
export function multiPair(pairs: ReadonlyArray<readonly [G1, G2 | G2Prepared]>): GT {
  const batch: [G1, G2Prepared][] = [];
  for (const [Pt, q] of pairs) {
    const Q = "lines" in q ? q.point : q;
    if (Pt.is0() || Q.is0()) continue;
    batch.push([Pt, "lines" in q ? q : prepareG2(Q)]);
  }
  return batch.length ? backend().multiPair(batch) : GT_ONE;
}

/** e(P, Q), one pairing. */
export function pair(Pt: G1, Q: G2 | G2Prepared): GT {
  return multiPair([[Pt, Q]]);
}

/** Reference pairing: noble's own single pairing, no cached lines. */
export function pairRef(Pt: G1, Q: G2): GT {
  if (Pt.is0() || Q.is0()) return GT_ONE;
  return bls12_381.pairing(Pt, Q);
}

let eggCache: GT | undefined;
/** e(g1, g2), computed once. */
export function egg(): GT {
  if (!eggCache) eggCache = pair(g1, g2);
  return eggCache;
}

// ---------------------------------------------------------------------------------------------
// GT arithmetic
// ---------------------------------------------------------------------------------------------

export const gtMul = (a: GT, b: GT): GT => Fp12F.mul(a, b);
/** Inverse in GT is conjugation (GT lies in the cyclotomic subgroup, where x^(p^6) = x^-1). */
export const gtInv = (a: GT): GT => Fp12F.conjugate(a);
export const gtDiv = (a: GT, b: GT): GT => Fp12F.mul(a, Fp12F.conjugate(b));
export const gtEq = (a: GT, b: GT): boolean => Fp12F.eql(a, b);
/** prod xs (wasm when available: one conversion instead of noble multiplications). */
export function gtProduct(xs: readonly GT[]): GT {
  if (xs.length <= 1) return xs[0] ?? GT_ONE;
  return backend().gtProduct(xs);
}

/** Generic square-and-multiply (noble Fp12.pow): the reference path. */
export function gtPowRef(a: GT, k: Fr): GT {
  return Fp12F.pow(a, frMod(k));
}

/**
 * Variable-base a^k in GT (Galbraith-Lin-Scott): split k into four 64-bit digits via the
 * Frobenius (p = x mod r), then one joint 4-dimensional square-and-multiply with cyclotomic
 * squarings (64 squarings instead of 255 generic ones).
 */
export function gtPow(a: GT, k: Fr): GT {
  const e = frMod(k);
  notePublic("gtPow", e);
  if (e === 0n) return GT_ONE;
  if (e === 1n) return a;
  return backend().gtPow(a, e);
}

/**
 * Fixed-base comb table for a^k with a reused base (e(g1,g2), e(g1,g2)^alpha_i):
 * T[j][v-1] = a^(v * 2^(w j)) for 64-bit digit exponents; combined with the Frobenius split,
 * an exponentiation costs about 4 * ceil(64/w) multiplications and no squarings.
 * Built by the backend in use when it is constructed.
 */
export class GtTable {
  readonly base: GT;
  readonly window: number;
  readonly table: BackendGtTable;

  constructor(base: GT, window = 8) {
    if (!Number.isInteger(window) || window < 1 || window > 10) throw new AbeError("INVALID_ARGUMENT", "GT table window must be 1..10");
    this.base = base;
    this.window = window;
    this.table = backend().gtTable(base, window);
  }

  pow(k: Fr): GT {
    return gtPowMulti([[this, k]]);
  }
}

/** prod_i T_i.base^(k_i) over fixed-base tables, sharing the Frobenius recombination. */
export function gtPowMulti(terms: ReadonlyArray<readonly [GtTable, Fr]>): GT {
  for (const [, k] of terms) notePublic("gtPowMulti", frMod(k));
  const b = backend();
  const own = terms.filter(([t]) => t.table.owner === b);
  const ys = b.gtPowMulti(own.map(([t, k]) => [t.table, frMod(k)] as const));
  if (own.length === terms.length) return ys;
  // A table from the other backend (only tests toggle WebAssembly): a plain power for it.
  return terms.reduce((acc, [t, k]) => (t.table.owner === b ? acc : Fp12F.mul(acc, gtPow(t.base, k))), ys);
}

const tableCache = new WeakMap<GT, GtTable>();
/** Fixed-base table for a long-lived GT element (per object instance, built on first use). */
export function gtTable(base: GT, window = 8): GtTable {
  let t = tableCache.get(base);
  if (!t || t.window !== window) {
    t = new GtTable(base, window);
    tableCache.set(base, t);
  }
  return t;
}

let eggTableCache: GtTable | undefined;
/** e(g1,g2)^k with the cached comb table. */
export function eggPow(k: Fr): GT {
  if (!eggTableCache) eggTableCache = new GtTable(egg(), 8);
  return eggTableCache.pow(k);
}
export function eggTable(): GtTable {
  if (!eggTableCache) eggTableCache = new GtTable(egg(), 8);
  return eggTableCache;
}

/**
 * Membership in GT (order-r subgroup of Fp12*): a in the cyclotomic subgroup
 * (a^(p^4) * a = a^(p^2), i.e. a^Phi12(p) = 1) and a^p = a^x. Since gcd(p - x, Phi12(p)) = r
 * for BLS12-381 (checked in group.test.ts), both together force a^r = 1.
 */
export function isInGT(a: GT): boolean {
  return !Fp12F.is0(a) && backend().isInGT(a);
}

/** 576-byte canonical GT encoding: the 12 Fp coefficients (noble tower order), big-endian. */
export function encodeGT(a: GT): Uint8Array {
  return Fp12F.toBytes(a);
}

export function decodeGT(bytes: Uint8Array): GT {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 576) throw new AbeError("DECODE_LENGTH", "GT element must be 576 bytes");
  const coeffs: bigint[] = [];
  for (let i = 0; i < 12; i++) {
    const v = bytesToBigint(bytes.subarray(i * 48, (i + 1) * 48));
    if (v >= P) throw new AbeError("DECODE_POINT", "GT coefficient not reduced mod p");
    coeffs.push(v);
  }
  let a: GT;
  try {
    a = Fp12F.fromBytes(bytes);
  } catch {
    throw new AbeError("DECODE_POINT", "invalid GT element");
  }
  if (!isInGT(a)) throw new AbeError("DECODE_SUBGROUP", "Fp12 element outside GT");
  return a;
}

// ---------------------------------------------------------------------------------------------
// Backends: the fast one and the straightforward reference one
// ---------------------------------------------------------------------------------------------

/** The group operations the scheme needs, so one scheme implementation serves both paths. */
export interface Group {
  readonly name: "fast" | "reference";
  g2Mul(k: Fr): G2;
  /** g2^k == Q */
  g2MulEquals(k: Fr, Q: G2): boolean;
  /** (g1^r, P^r g1^omega) for long-lived P: the G1 elements of the ciphertext rows. */
  rowsG1(items: ReadonlyArray<readonly [G1, Fr, Fr]>): [G1, G1][];
  /** RFC 9380 hash_to_curve into G1. */
  hashToG1(dst: string, msg: Uint8Array): G1;
  /** hash_to_curve(msg)^k. */
  hashToG1Pow(dst: string, msg: Uint8Array, k: Fr): G1;
  mulG1(Pt: G1, k: Fr): G1;
  /** e(g1,g2)^a * base^b with base long-lived (VK's e(g1,g2)^alpha). */
  eggPowTimes(a: Fr, base: GT, b: Fr): GT;
  /**
   * All rows' C1_x = e(g1,g2)^lambda_x * base_x^r_x and K = e(g1,g2)^s, given s = sum c_x
   * lambda_x with c_x in {1, -1, 0}; null when this group has no cheaper way than separate
   * exponentiations (the caller then uses eggPowTimes and eggPow).
   */
  c1RowsWithK(rows: ReadonlyArray<readonly [Fr, GT, Fr]>, coeffs: readonly (1 | -1 | 0)[]): { C1: GT[]; K: GT } | null;
  eggPow(k: Fr): GT;
  gtPow(x: GT, k: Fr): GT;
  /** A / B^k (the last step of outsourced decryption). */
  gtDivPow(A: GT, B: GT, k: Fr): GT;
  /** prod e(P_i, Q_i). */
  pairProduct(pairs: ReadonlyArray<readonly [G1, G2]>): GT;
}

/**
 * The production path. Every exponent the scheme uses here is secret (d, s, lambda_x, r_x,
 * omega_x all derive from d; z is the user's) except the public reconstruction coefficients
 * of mulG1 / gtPow: so those two keep the variable-time fast paths and the rest take the
 * constant-time ones above.
 */
export const fastGroup: Group = {
  name: "fast",
  g2Mul: g2MulSecret,
  g2MulEquals: (k, Q) => g2MulSecret(k).equals(Q),
  rowsG1: rowsG1Secret,
  hashToG1,
  hashToG1Pow: hashToG1PowSecret,
  mulG1,
  eggPowTimes: (a, base, b) =>
    gtPowSecretMulti(
      [
        [egg(), a],
        [base, b],
      ],
      true,
    ),
  // The joint C1/K trick of gt.ts indexes comb tables by secret digits: not used for secrets.
  c1RowsWithK: () => null,
  eggPow: eggPowSecret,
  gtPow,
  gtDivPow: (A, B, k) => gtDiv(A, gtPowSecret(B, k)),
  pairProduct: (pairs) => multiPair(pairs),
};

/** noble's generic multiplication on a fresh point instance (so no window table applies). */
function mulG1Plain(Pt: G1, k: Fr): G1 {
  const s = frMod(k);
  return s === 0n || Pt.is0() ? G1_ZERO : new G1Point(Pt.X, Pt.Y, Pt.Z).multiplyUnsafe(s);
}
function mulG2Plain(Q: G2, k: Fr): G2 {
  const s = frMod(k);
  return s === 0n || Q.is0() ? G2_ZERO : new G2Point(Q.X, Q.Y, Q.Z).multiplyUnsafe(s);
}

export const referenceGroup: Group = {
  name: "reference",
  g2Mul: (k) => mulG2Plain(g2Plain, k),
  g2MulEquals: (k, Q) => mulG2Plain(g2Plain, k).equals(Q),
  rowsG1: (items) => items.map(([Pt, r, omega]) => [mulG1Plain(g1Plain, r), mulG1Plain(Pt, r).add(mulG1Plain(g1Plain, omega))]),
  hashToG1: (dst, msg) => bls12_381.G1.hashToCurve(msg, { DST: dst }),
  hashToG1Pow: (dst, msg, k) => mulG1Plain(bls12_381.G1.hashToCurve(msg, { DST: dst }), k),
  mulG1: (Pt, k) => mulG1Plain(Pt, k),
  // e(g1,g2) is a public parameter, computed once on both paths; the reference exponentiates it
  // generically.
  eggPowTimes: (a, base, b) => Fp12F.mul(gtPowRef(egg(), a), gtPowRef(base, b)),
  c1RowsWithK: () => null,
  eggPow: (k) => gtPowRef(egg(), k),
  gtPow: gtPowRef,
  gtDivPow: (A, B, k) => gtDiv(A, gtPowRef(B, k)),
  pairProduct: (pairs) => pairs.reduce<GT>((acc, [Pt, Q]) => Fp12F.mul(acc, pairRef(Pt, Q)), GT_ONE),
};

/** Which arithmetic the fast path runs on here: the wasm field module or noble's BigInt code. */
export function arithmeticBackend(): "wasm" | "noble" {
  return backend().name;
}

export function groupFor(opts?: { reference?: boolean }): Group {
  return opts?.reference ? referenceGroup : fastGroup;
}

/** Point helpers re-exported so callers need not import noble directly. */
export const G1Points = G1Point;
export const G2Points = G2Point;
