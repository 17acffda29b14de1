/**
 * Versioned binary encodings of every ABE-OD object (framing in codec.ts).
 * Each decoder checks lengths, canonical encodings, curve and subgroup membership, and throws
 * only AbeError.
 *
 * Exports: encode/decode for PublicParams, AttributeVk, VkSet, AttributeSecret, UserKeys,
 *          TransformKey, TransformSecret, Envelope, RecordCiphertext, PartialDecryption,
 *          MerkleProof; envelopeTranscript (the bytes H4 hashes); envelopeDigest.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ObjectType, type Reader, type Writer, decodeObject, encodeObject } from "./codec";
import { AbeError } from "./errors";
import { decodeFr, decodeG1, decodeG2, decodeGT, encodeFr, encodeG1, encodeG2, encodeGT, type G2 } from "./group";
import {
  type AttributeSecret,
  type AttributeVk,
  type CiphertextRow,
  type Envelope,
  type MerkleProof,
  type PartialDecryption,
  type PublicParams,
  type RecordCiphertext,
  SUITE,
  type TransformKey,
  type TransformSecret,
  type UserKeys,
  type VkSet,
  vkMap,
} from "./types";

const MAX_NAME = 256; // attribute names
const MAX_GID = 1024;
const MAX_POLICY = 16384;
const MAX_PAYLOAD = 1 << 30;
const MAX_RECORD_ID = 1024;

// ---- small field helpers --------------------------------------------------------------------

const wG1 = (w: Writer, P: Parameters<typeof encodeG1>[0]) => w.bytes(encodeG1(P));
const wG2 = (w: Writer, Q: G2) => w.bytes(encodeG2(Q));
const rG1 = (r: Reader, what: string) => decodeG1(r.bytes(what, { exact: 48 }));
const rG2 = (r: Reader, what: string) => decodeG2(r.bytes(what, { exact: 96 }));
const rGT = (r: Reader, what: string) => decodeGT(r.bytes(what, { exact: 576 }));
const rFr = (r: Reader, what: string) => decodeFr(r.bytes(what, { exact: 32 }));

function rUniqueKeys(r: Reader, what: string): Map<string, G2> {
  const entries = r.list(what, 4 + 4 + 96, (rr) => [rr.string("attribute", MAX_NAME), rG2(rr, "key")] as const);
  const m = new Map<string, G2>();
  for (const [name, K] of entries) {
    if (m.has(name)) throw new AbeError("DECODE_FORMAT", `${what}: duplicate attribute ${name}`);
    m.set(name, K);
  }
  return m;
}

// ---- public params ----------------------------------------------------------------------------

export function encodePublicParams(pp: PublicParams): Uint8Array {
  return encodeObject(ObjectType.PublicParams, (w) => w.string(pp.suite));
}
export function decodePublicParams(bytes: Uint8Array): PublicParams {
  return decodeObject(bytes, ObjectType.PublicParams, (r) => {
    const suite = r.string("suite", 128);
    if (suite !== SUITE) throw new AbeError("DECODE_VERSION", `unknown suite ${suite}`);
    return { suite: SUITE };
  });
}

// ---- attribute authority ---------------------------------------------------------------------

const writeVk = (w: Writer, vk: AttributeVk) => {
  w.string(vk.attribute).bytes(encodeGT(vk.eggAlpha));
  wG1(w, vk.g1Gamma);
};
const readVk = (r: Reader): AttributeVk => ({
  attribute: r.string("attribute", MAX_NAME),
  eggAlpha: rGT(r, "e(g1,g2)^alpha"),
  g1Gamma: rG1(r, "g1^gamma"),
});

export function encodeAttributeVk(vk: AttributeVk): Uint8Array {
  return encodeObject(ObjectType.AttributeVk, (w) => writeVk(w, vk));
}
export function decodeAttributeVk(bytes: Uint8Array): AttributeVk {
  return decodeObject(bytes, ObjectType.AttributeVk, readVk);
}

export function encodeVkSet(vks: VkSet): Uint8Array {
  return encodeObject(ObjectType.VkSet, (w) => w.list([...vkMap(vks).values()], writeVk));
}
export function decodeVkSet(bytes: Uint8Array): Map<string, AttributeVk> {
  return decodeObject(bytes, ObjectType.VkSet, (r) => {
    const m = new Map<string, AttributeVk>();
    for (const vk of r.list("vks", 4 + 4 + 576 + 4 + 48, readVk)) {
      if (m.has(vk.attribute)) throw new AbeError("DECODE_FORMAT", `duplicate VK for ${vk.attribute}`);
      m.set(vk.attribute, vk);
    }
    return m;
  });
}

export function encodeAttributeSecret(sk: AttributeSecret): Uint8Array {
  return encodeObject(ObjectType.AttributeSecret, (w) => w.string(sk.attribute).bytes(encodeFr(sk.alpha)).bytes(encodeFr(sk.gamma)));
}
export function decodeAttributeSecret(bytes: Uint8Array): AttributeSecret {
  return decodeObject(bytes, ObjectType.AttributeSecret, (r) => ({
    attribute: r.string("attribute", MAX_NAME),
    alpha: rFr(r, "alpha"),
    gamma: rFr(r, "gamma"),
  }));
}

// ---- user keys, transform keys ----------------------------------------------------------------

function writeKeySet(w: Writer, ks: { gid: string; keys: ReadonlyMap<string, G2> }) {
  w.string(ks.gid).list([...ks.keys.entries()], (ww, [name, K]) => {
    ww.string(name);
    wG2(ww, K);
  });
}

export function encodeUserKeys(keys: UserKeys): Uint8Array {
  return encodeObject(ObjectType.UserKeys, (w) => writeKeySet(w, keys));
}
export function decodeUserKeys(bytes: Uint8Array): UserKeys {
  return decodeObject(bytes, ObjectType.UserKeys, (r) => ({ gid: r.string("gid", MAX_GID), keys: rUniqueKeys(r, "keys") }));
}

export function encodeTransformKey(tk: TransformKey): Uint8Array {
  return encodeObject(ObjectType.TransformKey, (w) => writeKeySet(w, tk));
}
export function decodeTransformKey(bytes: Uint8Array): TransformKey {
  return decodeObject(bytes, ObjectType.TransformKey, (r) => ({ gid: r.string("gid", MAX_GID), keys: rUniqueKeys(r, "keys") }));
}

export function encodeTransformSecret(ts: TransformSecret): Uint8Array {
  return encodeObject(ObjectType.TransformSecret, (w) => w.string(ts.gid).bytes(encodeFr(ts.z)));
}
export function decodeTransformSecret(bytes: Uint8Array): TransformSecret {
  return decodeObject(bytes, ObjectType.TransformSecret, (r) => ({ gid: r.string("gid", MAX_GID), z: rFr(r, "z") }));
}

// ---- envelope ----------------------------------------------------------------------------------

/** Memo of row encodings: encoding a G1 point costs an inversion, and rows are re-encoded for
 *  the transcript, the digest and the wire. Keyed by the (immutable) row object. */
const rowBytesCache = new WeakMap<CiphertextRow, Uint8Array[]>();
function rowBytes(row: CiphertextRow): Uint8Array[] {
  let b = rowBytesCache.get(row);
  if (!b) {
    b = [encodeGT(row.C1), encodeG1(row.C2), encodeG1(row.C3)];
    rowBytesCache.set(row, b);
  }
  return b;
}

type EnvelopeBody = Omit<Envelope, "C4bar">;

function writeEnvelopeBody(w: Writer, env: EnvelopeBody) {
  w.string(env.policy);
  w.list(env.rows, (ww, row) => {
    const [c1, c2, c3] = rowBytes(row);
    ww.bytes(c1).bytes(c2).bytes(c3);
  });
  w.u32(env.recordCount).bytes(env.recordsRoot).bytes(env.C1bar).bytes(env.C2bar);
  wG2(w, env.C3bar);
}

/**
 * The H4 input: C-bar1 || C-bar2 || C-bar3 || {C_x} || policy || records root and count, i.e.
 * every envelope field except C-bar4, in wire order, under the envelope's type tag.
 */
export function envelopeTranscript(env: EnvelopeBody): Uint8Array {
  return encodeObject(ObjectType.Envelope, (w) => writeEnvelopeBody(w, env));
}

export function encodeEnvelope(env: Envelope): Uint8Array {
  return encodeObject(ObjectType.Envelope, (w) => {
    writeEnvelopeBody(w, env);
    wG1(w, env.C4bar);
  });
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  return decodeObject(bytes, ObjectType.Envelope, (r) => {
    const policy = r.string("policy", MAX_POLICY);
    const rows = r.list("rows", 3 * 4 + 576 + 48 + 48, (rr) => ({
      C1: rGT(rr, "C1"),
      C2: rG1(rr, "C2"),
      C3: rG1(rr, "C3"),
    }));
    const recordCount = r.u32("record count");
    const recordsRoot = r.bytes("records root", { exact: 32 }).slice();
    const C1bar = r.bytes("C-bar1", { exact: 32 }).slice();
    const C2bar = r.bytes("C-bar2", { max: MAX_PAYLOAD }).slice();
    const C3bar = rG2(r, "C-bar3");
    const C4bar = rG1(r, "C-bar4");
    if (recordCount === 0 && recordsRoot.some((b) => b !== 0)) throw new AbeError("DECODE_FORMAT", "records root must be zero when there are no records");
    return { policy, rows, recordCount, recordsRoot, C1bar, C2bar, C3bar, C4bar };
  });
}

/** SHA-256 of the envelope's encoding: what a partial decryption is bound to. */
export function envelopeDigest(env: Envelope): Uint8Array {
  return sha256(encodeEnvelope(env));
}

// ---- batch records and proofs ----------------------------------------------------------------

export function encodeRecordCiphertext(rec: RecordCiphertext): Uint8Array {
  return encodeObject(ObjectType.RecordCiphertext, (w) => w.u32(rec.index).string(rec.id).bytes(rec.ct));
}
export function decodeRecordCiphertext(bytes: Uint8Array): RecordCiphertext {
  return decodeObject(bytes, ObjectType.RecordCiphertext, (r) => ({
    index: r.u32("index"),
    id: r.string("record id", MAX_RECORD_ID),
    ct: r.bytes("record ciphertext", { max: MAX_PAYLOAD }).slice(),
  }));
}

export function encodeMerkleProof(p: MerkleProof): Uint8Array {
  return encodeObject(ObjectType.MerkleProof, (w) =>
    w
      .u32(p.index)
      .u32(p.count)
      .list(p.path, (ww, h) => ww.bytes(h)),
  );
}
export function decodeMerkleProof(bytes: Uint8Array): MerkleProof {
  return decodeObject(bytes, ObjectType.MerkleProof, (r) => {
    const index = r.u32("index");
    const count = r.u32("count");
    const path = r.list("path", 4 + 32, (rr) => rr.bytes("sibling", { exact: 32 }).slice());
    if (count === 0 || index >= count) throw new AbeError("DECODE_FORMAT", "proof index outside the tree");
    if (path.length > 32) throw new AbeError("DECODE_FORMAT", "proof path too long");
    return { index, count, path };
  });
}

// ---- partial decryption ----------------------------------------------------------------------

export function encodePartialDecryption(pd: PartialDecryption): Uint8Array {
  return encodeObject(ObjectType.PartialDecryption, (w) => w.bytes(pd.ctDigest).bytes(encodeGT(pd.A)).bytes(encodeGT(pd.B)));
}
export function decodePartialDecryption(bytes: Uint8Array): PartialDecryption {
  return decodeObject(bytes, ObjectType.PartialDecryption, (r) => ({
    ctDigest: r.bytes("ciphertext digest", { exact: 32 }).slice(),
    A: rGT(r, "A"),
    B: rGT(r, "B"),
  }));
}
