/**
 * A run of one block's feature ciphertexts in one request body (PUT /api/uploads/:id/features/:block),
 * encoded by the browser and decoded by the portal and the CSP. Isomorphic, no dependencies.
 *
 * Layout (big-endian): "MSFB", u32 first feature, u32 count, then count times
 * (u32 length || SEAL bytes). A block whose ciphertexts pass `FEATURE_BATCH.maxBodyBytes` or
 * `maxRun` travels as several runs (`planFeatureRuns`); the CSP stores each run whole or not at all.
 */

export const FEATURE_BATCH = {
  /** Under Next 16's 10 MiB cap on bodies that pass its proxy, with room for the wire header between the parties. */
  maxBodyBytes: 8 * 1024 * 1024,
  /** 21 fresh ciphertexts of 393,329 bytes (N = 8192, three primes) are 7.9 MiB. */
  maxRun: 21,
  /** One ciphertext: FEATURE_LIMITS.maxCiphertextBytes at the CSP. */
  maxCiphertextBytes: 1 << 20,
} as const;

const MAGIC = [0x4d, 0x53, 0x46, 0x42]; // "MSFB"
const HEAD = 12;

/** The body is not a well-formed run; the message says what is wrong (the servers answer 422 with it). */
export class FeatureBatchError extends RangeError {}

export type FeatureRun = { first: number; cts: Uint8Array[] };

/** Encodes ciphertexts `first`, `first + 1`, ... of one block as one request body. */
export function encodeFeatureBatch({ first, cts }: FeatureRun): Uint8Array<ArrayBuffer> {
  if (!Number.isInteger(first) || first < 0 || first > 0xffffffff) throw new FeatureBatchError("first feature out of range");
  if (cts.length === 0) throw new FeatureBatchError("a run has at least one ciphertext");
  const out = new Uint8Array(HEAD + cts.reduce((n, ct) => n + 4 + ct.length, 0));
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, first);
  view.setUint32(8, cts.length);
  let at = HEAD;
  for (const ct of cts) {
    view.setUint32(at, ct.length);
    out.set(ct, at + 4);
    at += 4 + ct.length;
  }
  return out;
}

/**
 * Decodes a body written by encodeFeatureBatch, within FEATURE_BATCH's limits; throws
 * FeatureBatchError on anything else (wrong magic, cut short, trailing bytes, empty or oversized
 * ciphertexts). The ciphertexts are views into `body`, not copies.
 */
export function decodeFeatureBatch(body: Uint8Array): FeatureRun {
  if (body.length > FEATURE_BATCH.maxBodyBytes) throw new FeatureBatchError(`the body is larger than ${FEATURE_BATCH.maxBodyBytes} bytes`);
  if (body.length < HEAD || MAGIC.some((m, i) => body[i] !== m)) throw new FeatureBatchError("not a feature batch (MSFB)");
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const first = view.getUint32(4);
  const count = view.getUint32(8);
  if (count === 0 || count > FEATURE_BATCH.maxRun) throw new FeatureBatchError(`a run has 1 to ${FEATURE_BATCH.maxRun} ciphertexts, not ${count}`);
  const cts: Uint8Array[] = [];
  let at = HEAD;
  for (let i = 0; i < count; i++) {
    if (at + 4 > body.length) throw new FeatureBatchError(`cut short before ciphertext ${i + 1} of ${count}`);
    const length = view.getUint32(at);
    if (length === 0 || length > FEATURE_BATCH.maxCiphertextBytes) throw new FeatureBatchError(`ciphertext ${i + 1} has ${length} bytes`);
    if (at + 4 + length > body.length) throw new FeatureBatchError(`cut short inside ciphertext ${i + 1} of ${count}`);
    cts.push(body.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (at !== body.length) throw new FeatureBatchError(`${body.length - at} bytes after the last ciphertext`);
  return { first, cts };
}

/**
 * Splits a block's ciphertexts (their sizes, in feature order) into runs of consecutive
 * features, each within maxRun ciphertexts and maxBodyBytes encoded: usually the whole block in one.
 */
export function planFeatureRuns(
  sizes: readonly number[],
  limits: { maxRun: number; maxBodyBytes: number } = FEATURE_BATCH,
): Array<{ first: number; count: number }> {
  const runs: Array<{ first: number; count: number }> = [];
  let first = 0;
  let bytes = HEAD;
  sizes.forEach((size, f) => {
    const count = f - first;
    if (count > 0 && (count === limits.maxRun || bytes + 4 + size > limits.maxBodyBytes)) {
      runs.push({ first, count });
      first = f;
      bytes = HEAD;
    }
    if (HEAD + 4 + size > limits.maxBodyBytes) throw new FeatureBatchError(`ciphertext ${f} alone is larger than a request may be`);
    bytes += 4 + size;
  });
  if (sizes.length > first) runs.push({ first, count: sizes.length - first });
  return runs;
}
