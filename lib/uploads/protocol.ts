/**
 * What the uploader's browser and the CSP agree on: how record ciphertexts travel in chunks,
 * and what the uploading hospital signs. Isomorphic.
 */
import { decodeRecordCiphertext, encodeRecordCiphertext, type RecordCiphertext } from "../abe";

export const UPLOAD_LIMITS = {
  /** Bytes per chunk on the wire (well under the servers' body limits). */
  chunkBytes: 512 * 1024,
  maxChunkBytes: 1024 * 1024,
  maxRecords: 100_000,
  maxTotalBytes: 256 * 1024 * 1024,
  maxEnvelopeBytes: 512 * 1024,
} as const;

/** Packs record ciphertexts into chunks of whole records: each record is u32 length || encoding. */
export function packRecords(records: readonly RecordCiphertext[], chunkBytes: number = UPLOAD_LIMITS.chunkBytes): Uint8Array[] {
  return packFramed([frameRecords(records)], chunkBytes);
}

/** Consecutive records as they travel (u32 length || encoding each), back to back, with each one's framed length. */
export type FramedRecords = { bytes: Uint8Array; lengths: Uint32Array };

/** Frames records for packFramed: a worker frames its slice, the page packs all slices. */
export function frameRecords(records: readonly RecordCiphertext[]): FramedRecords {
  const encoded = records.map(encodeRecordCiphertext);
  const lengths = new Uint32Array(encoded.length);
  const bytes = new Uint8Array(encoded.reduce((n, e) => n + 4 + e.length, 0));
  const view = new DataView(bytes.buffer);
  let o = 0;
  encoded.forEach((e, i) => {
    view.setUint32(o, e.length);
    bytes.set(e, o + 4);
    lengths[i] = 4 + e.length;
    o += 4 + e.length;
  });
  return { bytes, lengths };
}

/**
 * packRecords over framed slices taken in order: the same chunks as packRecords over all their
 * records (a chunk closes before the record that would take it past chunkBytes).
 */
export function packFramed(slices: readonly FramedRecords[], chunkBytes: number = UPLOAD_LIMITS.chunkBytes): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  let size = 0;
  const flush = () => {
    if (parts.length === 0) return;
    const out = new Uint8Array(size);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    chunks.push(out);
    parts = [];
    size = 0;
  };
  for (const { bytes, lengths } of slices) {
    let o = 0;
    for (const len of lengths) {
      if (size + len > chunkBytes) flush();
      parts.push(bytes.subarray(o, o + len));
      size += len;
      o += len;
    }
    if (o !== bytes.length) throw new RangeError("framed records: lengths do not cover the bytes");
  }
  flush();
  return chunks;
}

/** Inverse of packRecords for one chunk; throws on any framing error (truncation included). */
export function unpackChunk(chunk: Uint8Array): RecordCiphertext[] {
  const out: RecordCiphertext[] = [];
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let o = 0;
  while (o < chunk.length) {
    if (o + 4 > chunk.length) throw new Error(`chunk truncated at byte ${o}`);
    const len = view.getUint32(o);
    o += 4;
    if (len === 0 || o + len > chunk.length) throw new Error(`chunk truncated at byte ${o}`);
    out.push(decodeRecordCiphertext(chunk.subarray(o, o + len)));
    o += len;
  }
  return out;
}

const enc = new TextEncoder();

/**
 * Everything about an upload the hospital vouches for besides the envelope: which upload (an id
 * the browser picks, accepted once), from whom, under what label, and its exact size. Binding
 * these means a CSP cannot swap two genuine uploads, and a start body cannot be replayed or
 * stretched with extra chunks.
 */
export type UploadStatement = {
  uploadId: string;
  organisationId: string;
  signerGid: string;
  label: string;
  recordCount: number;
  chunkCount: number;
  totalBytes: number;
};

/**
 * The message a hospital signs (ABS) for source authenticity: the statement above (as a JSON
 * array, so no field can bleed into the next) and the envelope digest (which covers the policy,
 * the ABE part and the Merkle root over every record).
 */
export function uploadSignatureMessage(envelopeDigest: Uint8Array, s: UploadStatement): Uint8Array {
  const head = enc.encode(
    `medshare-upload-v2|${JSON.stringify([s.uploadId, s.organisationId, s.signerGid, s.label, s.recordCount, s.chunkCount, s.totalBytes])}|`,
  );
  const out = new Uint8Array(head.length + envelopeDigest.length);
  out.set(head);
  out.set(envelopeDigest, head.length);
  return out;
}

/** Chunk indexes travel in the URL: only canonical decimal integers ("0", "17"), never "0x0", " ", "1e0" or "-0". */
export function parseChunkIndex(text: string): number | null {
  return /^(0|[1-9][0-9]{0,8})$/.test(text) ? Number(text) : null;
}
