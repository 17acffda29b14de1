/**
 * Minimal release (issue #15): what a request releases, named the same way by the CSP (audit),
 * the authority (audit) and the researcher's browser (checks). Isomorphic.
 *
 * A released record is named `<uploadId>:<index>`; the audit keeps the count and the SHA-256
 * of the sorted names joined by newlines, so anyone holding the list can check the entry.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { AbeError, merkleRoot, recordLeaf, verifyRecord, type Envelope, type MerkleProof, type RecordCiphertext } from "@/lib/abe";

export const releasedRecordId = (uploadId: string, index: number) => `${uploadId}:${index}`;

/** Count and SHA-256 (hex) of the sorted record names: what the audit entries record. */
export function releaseDigest(recordIds: readonly string[]): { count: number; digest: string } {
  const sorted = [...recordIds].sort();
  return { count: sorted.length, digest: bytesToHex(sha256(new TextEncoder().encode(sorted.join("\n")))) };
}

/** Record names of an upload's part of a request: the cluster's indices, or every record. */
export function releasedIds(uploadId: string, indices: readonly number[] | null, recordCount: number): string[] {
  const all = indices ?? Array.from({ length: recordCount }, (_, i) => i);
  return all.map((i) => releasedRecordId(uploadId, i));
}

export type ServedRecord = RecordCiphertext & { proof: MerkleProof | null };

/**
 * The browser's check of what the CSP served for one upload, before any record is opened:
 * a whole upload must be every record, matching the envelope's records root; a cluster request
 * exactly the requested records, each with an inclusion proof that verifies against that root.
 * Anything else throws INTEGRITY, and nothing of the upload is shown.
 */
export function checkServedRecords(env: Envelope, served: readonly ServedRecord[], wanted: readonly number[] | null): RecordCiphertext[] {
  const records = served.map(({ index, id, ct }) => ({ index, id, ct }));
  if (wanted === null) {
    const root = merkleRoot(records.map(recordLeaf));
    if (records.length !== env.recordCount || !root.every((x, i) => x === env.recordsRoot[i]))
      throw new AbeError("INTEGRITY", "the records served do not match the envelope's commitment");
    return records;
  }
  const asked = new Set(wanted);
  const got = new Set(served.map((r) => r.index));
  if (got.size !== served.length || got.size !== asked.size || [...got].some((i) => !asked.has(i)))
    throw new AbeError("INTEGRITY", `the cloud served ${served.length} records where the request asked for ${asked.size} others`);
  for (const r of served) {
    if (!r.proof || !verifyRecord(env, r, r.proof))
      throw new AbeError("INTEGRITY", `record ${r.index}: its Merkle inclusion proof does not verify against the envelope's records root`);
  }
  return records;
}
