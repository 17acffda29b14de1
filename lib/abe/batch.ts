/**
 * Bulk data: one envelope per upload batch and policy. Records are sealed with AES-256-GCM
 * under per-record keys HKDF(batch key, index || record id), the batch key being derived
 * one-way from the envelope's zeta; the envelope commits to the records through a Merkle root
 * over the record ciphertexts (in the public envelope fields, in H4's input, and inside the
 * encrypted batch header that d is computed from).
 *
 * Exports: encryptBatch (or sealBatchRecords / sealBatchRecordsNative per slice + sealBatchEnvelope), openRecord, recordLeaf, recordProof, verifyRecord, BatchRecordInput.
 */
import { gcm } from "@noble/ciphers/aes.js";
import { concatBytes, u32be, utf8 } from "./codec";
import { AbeError } from "./errors";
import { deriveBatchKey, deriveRecordKey, recordKeyDeriver } from "./kdf";
import { leafHash, merkleProof, merkleRoot, verifyMerkleProof } from "./merkle";
import { type EncryptOptions, batchHeader, sealEnvelope } from "./envelope";
import { encodeRecordCiphertext } from "./serialize";
import type { PolicyNode } from "./policy";
import type { Envelope, MerkleProof, PublicParams, RecordCiphertext, VkSet } from "./types";
import { defaultRng } from "./group";

export type BatchRecordInput = Uint8Array | { readonly id: string; readonly data: Uint8Array };

const recordAad = (index: number, id: string): Uint8Array => concatBytes(utf8.encode("MEDSHARE-V1-record"), u32be(index), utf8.encode(id));

/** Leaf of the records tree: hash of the record's full encoding (index, id and ciphertext). */
export function recordLeaf(rec: RecordCiphertext): Uint8Array {
  return leafHash(encodeRecordCiphertext(rec));
}

/**
 * Encrypt a batch of records under one envelope. Returns the envelope, the sealed records
 * (upload both) and the records root.
 */
export function encryptBatch(
  pp: PublicParams,
  vks: VkSet,
  policy: string | PolicyNode,
  records: readonly BatchRecordInput[],
  opts: EncryptOptions = {},
): { envelope: Envelope; records: RecordCiphertext[]; root: Uint8Array } {
  if (records.length === 0) throw new AbeError("INVALID_ARGUMENT", "a batch needs at least one record");
  const zeta = opts.zeta ?? (opts.rng ?? defaultRng)(32);
  const sealed = sealBatchRecords(zeta, records);
  const root = merkleRoot(sealed.map(recordLeaf));
  const envelope = sealBatchEnvelope(pp, vks, policy, zeta, root, sealed.length, opts);
  return { envelope, records: sealed, root };
}

/**
 * encryptBatch's per-record step for the records at positions firstIndex, firstIndex + 1, ...
 * of a batch: workers sharing zeta seal slices of one batch in parallel. The batch key depends
 * only on zeta, so records can be sealed before the envelope exists.
 */
export function sealBatchRecords(zeta: Uint8Array, records: readonly BatchRecordInput[], firstIndex = 0): RecordCiphertext[] {
  const derive = sliceKeys(zeta, firstIndex);
  return records.map((r, k) => {
    const { index, id, data } = recordInput(r, firstIndex + k);
    const { key, nonce } = derive(index, id);
    return { index, id, ct: gcm(key, nonce, recordAad(index, id)).encrypt(data) };
  });
}

/**
 * sealBatchRecords with the platform's AES-256-GCM (WebCrypto), for the uploader's browser: the
 * same records byte for byte (GCM is a function of key, nonce, AAD and data), with the cipher
 * native instead of pure JS, which is most of the per-record cost. `subtle` defaults to
 * globalThis.crypto.subtle (browsers and workers, Node 20).
 */
export async function sealBatchRecordsNative(
  zeta: Uint8Array,
  records: readonly BatchRecordInput[],
  firstIndex = 0,
  subtle: SubtleCrypto = globalThis.crypto.subtle,
): Promise<RecordCiphertext[]> {
  const derive = sliceKeys(zeta, firstIndex);
  const inputs = records.map((r, k) => recordInput(r, firstIndex + k));
  return Promise.all(
    inputs.map(async ({ index, id, data }) => {
      const { key, nonce } = derive(index, id);
      const aesKey = await subtle.importKey("raw", key as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["encrypt"]);
      const params: AesGcmParams = {
        name: "AES-GCM",
        iv: nonce as Uint8Array<ArrayBuffer>,
        additionalData: recordAad(index, id) as Uint8Array<ArrayBuffer>,
        tagLength: 128,
      };
      return { index, id, ct: new Uint8Array(await subtle.encrypt(params, aesKey, data as Uint8Array<ArrayBuffer>)) };
    }),
  );
}

/** The per-record key derivation of the slice starting at firstIndex of the batch sealed with zeta. */
function sliceKeys(zeta: Uint8Array, firstIndex: number) {
  if (!(zeta instanceof Uint8Array) || zeta.length !== 32) throw new AbeError("INVALID_ARGUMENT", "zeta must be 32 bytes");
  if (!Number.isSafeInteger(firstIndex) || firstIndex < 0) throw new AbeError("INVALID_ARGUMENT", "firstIndex must be a non-negative integer");
  return recordKeyDeriver(deriveBatchKey(zeta));
}

function recordInput(r: BatchRecordInput, index: number): { index: number; id: string; data: Uint8Array } {
  const { id, data } = r instanceof Uint8Array ? { id: String(index), data: r } : r;
  if (typeof id !== "string" || !(data instanceof Uint8Array)) throw new AbeError("INVALID_ARGUMENT", "records are bytes or { id, data }");
  return { index, id, data };
}

/**
 * encryptBatch's last step: the envelope under `policy` for a batch of `count` records sealed
 * with this zeta whose leaves (recordLeaf, in index order) have Merkle root `root`.
 */
export function sealBatchEnvelope(
  pp: PublicParams,
  vks: VkSet,
  policy: string | PolicyNode,
  zeta: Uint8Array,
  root: Uint8Array,
  count: number,
  opts: EncryptOptions = {},
): Envelope {
  if (!Number.isSafeInteger(count) || count < 1) throw new AbeError("INVALID_ARGUMENT", "a batch needs at least one record");
  return sealEnvelope(pp, vks, policy, batchHeader(root, count), { root, count }, { ...opts, zeta }).envelope;
}

/** Open one record with the batch key from decrypt/finishDecrypt; RECORD on any mismatch. */
export function openRecord(batchKey: Uint8Array, rec: RecordCiphertext): Uint8Array {
  if (!(batchKey instanceof Uint8Array) || batchKey.length !== 32) throw new AbeError("INVALID_ARGUMENT", "batch key must be 32 bytes");
  const { key, nonce } = deriveRecordKey(batchKey, rec.index, rec.id);
  try {
    return gcm(key, nonce, recordAad(rec.index, rec.id)).decrypt(rec.ct);
  } catch {
    throw new AbeError("RECORD", `record ${rec.index} does not open under this batch key`);
  }
}

/** Inclusion proof for record `index` (the CSP serves it with the record). */
export function recordProof(records: readonly RecordCiphertext[], index: number): MerkleProof {
  return merkleProof(records.map(recordLeaf), index);
}

/** Does the envelope commit to this record at the proof's position? */
export function verifyRecord(env: Envelope, rec: RecordCiphertext, proof: MerkleProof): boolean {
  if (env.recordCount === 0 || proof.count !== env.recordCount || proof.index !== rec.index) return false;
  return verifyMerkleProof(env.recordsRoot, recordLeaf(rec), proof);
}
