/**
 * Every hash of the ABE-OD envelope, each with its own domain-separation tag.
 *
 * The Fujisaki-Okamoto structure needs all ABE randomness to be a deterministic function of
 * d = H1(zeta || H(m)), but the warning in DESIGN.md applies: e(g1, C-bar3) = e(g1,g2)^d is
 * public, so s and every other exponent come from d through a hash with its own tag, never
 * linearly (s = Hs(d), v_j = Hv(d, j), w_j = Hw(d, j), r_x = Hr(d, x)).
 *
 * Exports: DST, H1, Hs, Hv, Hw, Hr, H2, H3, H4, H4Input, hashPayload, deriveBatchKey, deriveRecordKey,
 *          recordKeyDeriver, xor32.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { expand, extract, hkdf } from "@noble/hashes/hkdf.js";
import { type Fr, type G1, type GT, encodeFr, encodeGT, hashToFr, hashToG1 } from "./group";
import { concatBytes, u32be, utf8 } from "./codec";

export const DST = {
  H1: "MEDSHARE-V1-H1-d", // d = H1(zeta || H(m))
  Hs: "MEDSHARE-V1-Hs-secret", // s = Hs(d)
  Hv: "MEDSHARE-V1-Hv-share", // v_j = Hv(d, j), j >= 1 (v_0 = s)
  Hw: "MEDSHARE-V1-Hw-zero-share", // w_j = Hw(d, j), j >= 1 (w_0 = 0)
  Hr: "MEDSHARE-V1-Hr-row", // r_x = Hr(d, x)
  H2: "MEDSHARE-V1-H2-mask", // C-bar1 = zeta XOR H2(e(g1,g2)^s)
  H3: "MEDSHARE-V1-H3-dem", // AES-256-GCM key and nonce of C-bar2 from zeta
  H4: "MEDSHARE-V1-H4_BLS12381G1_XMD:SHA-256_SSWU_RO_", // integrity point, RFC 9380 into G1
  H4T: "MEDSHARE-V1-H4-transcript", // pre-hash of the (possibly large) H4 input
  M: "MEDSHARE-V1-message-digest", // H(m)
  BATCH: "MEDSHARE-V1-batch-key", // batch key from zeta (opens records, not the envelope)
  RECORD: "MEDSHARE-V1-record-key", // per-record AES-256-GCM key and nonce
} as const;

const tag = (s: string): Uint8Array => utf8.encode(s);

/** H(m): SHA-256 of the payload under its own tag. */
export function hashPayload(m: Uint8Array): Uint8Array {
  return sha256(concatBytes(tag(DST.M), m));
}

/** d = H1(zeta || H(m)) in Zr. */
export const H1 = (zeta: Uint8Array, hm: Uint8Array): Fr => hashToFr(DST.H1, zeta, hm);
/** s = Hs(d). */
export const Hs = (d: Fr): Fr => hashToFr(DST.Hs, encodeFr(d));
/** v_j = Hv(d, j) for the LSSS share vector v = (s, v_1, ..., v_{l-1}). */
export const Hv = (d: Fr, j: number): Fr => hashToFr(DST.Hv, encodeFr(d), u32be(j));
/** w_j = Hw(d, j) for the zero-sharing vector w = (0, w_1, ..., w_{l-1}). */
export const Hw = (d: Fr, j: number): Fr => hashToFr(DST.Hw, encodeFr(d), u32be(j));
/** r_x = Hr(d, x), the per-row randomness. */
export const Hr = (d: Fr, x: number): Fr => hashToFr(DST.Hr, encodeFr(d), u32be(x));

/** H2(K): 32-byte mask for zeta, from the canonical encoding of K in GT. */
export function H2(K: GT): Uint8Array {
  return sha256(concatBytes(tag(DST.H2), encodeGT(K)));
}

/**
 * H3(zeta): AES-256-GCM key and nonce for C-bar2. A fixed nonce per key is safe because zeta
 * is fresh per envelope and each key seals exactly one message; being deterministic keeps the
 * whole ciphertext a function of (zeta, m) for the FO re-derivation.
 */
export function H3(zeta: Uint8Array): { key: Uint8Array; nonce: Uint8Array } {
  const okm = hkdf(sha256, zeta, tag(DST.H3), tag("C-bar2"), 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
}

/** The message H4 hashes to the curve: a SHA-256 pre-hash of the (possibly large) transcript. */
export function H4Input(transcript: Uint8Array): Uint8Array {
  return sha256(concatBytes(tag(DST.H4T), transcript));
}

const H4_CACHE_MAX = 128;
const h4Cache = new Map<string, G1>();
/**
 * H4(transcript) in G1: pre-hash with SHA-256, then RFC 9380 hash_to_curve. Memoised by the
 * pre-hash (bounded), since the same envelope is checked at upload and again before serving.
 */
export function H4(transcript: Uint8Array): G1 {
  const input = H4Input(transcript);
  let key = "";
  for (const b of input) key += String.fromCharCode(b);
  const hit = h4Cache.get(key);
  if (hit) return hit;
  const h = hashToG1(DST.H4, input);
  if (h4Cache.size >= H4_CACHE_MAX) h4Cache.delete(h4Cache.keys().next().value as string);
  h4Cache.set(key, h);
  return h;
}

/** Batch key: what a researcher needs to open records, derived one-way from zeta. */
export function deriveBatchKey(zeta: Uint8Array): Uint8Array {
  return hkdf(sha256, zeta, tag(DST.BATCH), tag("batch"), 32);
}

/** Per-record AES-256-GCM key and nonce: HKDF(batch key, info = index || record id). */
export function deriveRecordKey(batchKey: Uint8Array, index: number, id: string): { key: Uint8Array; nonce: Uint8Array } {
  const info = concatBytes(u32be(index), utf8.encode(id));
  const okm = hkdf(sha256, batchKey, tag(DST.RECORD), info, 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
}

/**
 * deriveRecordKey for many records of one batch: HKDF's extract step depends only on the batch
 * key, so it runs once and each record pays only the expand step. Same output as deriveRecordKey.
 */
export function recordKeyDeriver(batchKey: Uint8Array): (index: number, id: string) => { key: Uint8Array; nonce: Uint8Array } {
  const prk = extract(sha256, batchKey, tag(DST.RECORD));
  return (index, id) => {
    const okm = expand(sha256, prk, concatBytes(u32be(index), utf8.encode(id)), 44);
    return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
  };
}

export function xor32(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = a[i] ^ b[i];
  return out;
}
