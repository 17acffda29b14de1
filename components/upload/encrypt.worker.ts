/// <reference lib="webworker" />
/**
 * Finishes an upload batch off the main thread once its records are sealed (seal.worker.ts):
 * the Merkle root over the records' leaves, one ABE-OD envelope for the policy committing to
 * it, and the hospital's attribute-based signature over the envelope digest and the upload
 * statement (sizes of the packed chunks included). `warm` builds the keys' precomputation
 * tables ahead, while the records are still being sealed.
 */
import {
  absSign,
  decodeAttributeVk,
  decodeUserKeys,
  encodeAbsSignature,
  encodeEnvelope,
  envelopeDigest,
  merkleRoot,
  sealBatchEnvelope,
  setupGlobal,
  type AttributeVk,
  type G2,
} from "@/lib/abe";
import { b64 } from "@/lib/keystore/sealed";
import { uploadSignatureMessage } from "@/lib/uploads/protocol";

export type EncryptJob = {
  /** Chosen by the browser; signed with the label and sizes so the upload cannot be replayed or swapped. */
  uploadId: string;
  label: string;
  /** The batch's zeta, which sealed the records (the envelope carries it to entitled readers). */
  zeta: Uint8Array;
  /** recordLeaf of every record, 32 bytes each, in index order. */
  leaves: Uint8Array;
  chunkCount: number;
  totalBytes: number;
  policy: string;
  /** attribute -> { version, vk (base64) } for the policy's attributes (current versions) */
  policyKeys: Record<string, { version: number; vk: string }>;
  signer: { gid: string; organisationId: string; policy: string; keys: Record<string, { version: number; key: string; vk: string }> };
};

export type EncryptMessage =
  | { type: "done"; envelope: string; signature: string; keyVersions: Record<string, number>; signatureVersions: Record<string, number>; ms: number }
  | { type: "error"; message: string };

const post = (m: EncryptMessage) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m);

self.onmessage = (event: MessageEvent<EncryptJob>) => {
  const job = event.data;
  const started = performance.now();
  try {
    const pp = setupGlobal();
    const vks = new Map<string, AttributeVk>(Object.entries(job.policyKeys).map(([a, k]) => [a, decodeAttributeVk(b64.decode(k.vk))]));
    const count = job.leaves.length / 32;
    if (!Number.isInteger(count) || count < 1) throw new Error("No records to commit to.");
    const leaves = Array.from({ length: count }, (_, i) => job.leaves.subarray(32 * i, 32 * i + 32));
    const envelope = sealBatchEnvelope(pp, vks, job.policy, job.zeta, merkleRoot(leaves), count);

    const keys = new Map<string, G2>();
    const signVks = new Map<string, AttributeVk>();
    for (const [attribute, k] of Object.entries(job.signer.keys)) {
      keys.set(attribute, decodeUserKeys(b64.decode(k.key)).keys.get(attribute)!);
      signVks.set(attribute, decodeAttributeVk(b64.decode(k.vk)));
    }
    const signature = absSign({
      message: uploadSignatureMessage(envelopeDigest(envelope), {
        uploadId: job.uploadId,
        organisationId: job.signer.organisationId,
        signerGid: job.signer.gid,
        label: job.label,
        recordCount: count,
        chunkCount: job.chunkCount,
        totalBytes: job.totalBytes,
      }),
      policy: job.signer.policy,
      gid: job.signer.gid,
      keys,
      vks: signVks,
    });
    post({
      type: "done",
      envelope: b64.encode(encodeEnvelope(envelope)),
      signature: b64.encode(encodeAbsSignature(signature)),
      keyVersions: Object.fromEntries(Object.entries(job.policyKeys).map(([a, k]) => [a, k.version])),
      signatureVersions: Object.fromEntries(Object.entries(job.signer.keys).map(([a, k]) => [a, k.version])),
      ms: performance.now() - started,
    });
  } catch (error) {
    post({ type: "error", message: (error as Error).message ?? "Encryption failed." });
  }
};
