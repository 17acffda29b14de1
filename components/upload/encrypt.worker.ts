/// <reference lib="webworker" />
/**
 * Encrypts an upload batch off the main thread: one ABE-OD envelope for the policy, one
 * AES-GCM ciphertext per record, the hospital's attribute-based signature over the envelope
 * digest, and the record ciphertexts packed into chunks.
 */
import {
  absSign,
  decodeAttributeVk,
  decodeUserKeys,
  encodeAbsSignature,
  encodeEnvelope,
  encryptBatch,
  envelopeDigest,
  setupGlobal,
  type AttributeVk,
  type G2,
} from "@/lib/abe";
import { b64 } from "@/lib/keystore/sealed";
import { packRecords, uploadSignatureMessage } from "@/lib/uploads/protocol";

export type EncryptJob = {
  /** Chosen by the browser; signed with the label and sizes so the upload cannot be replayed or swapped. */
  uploadId: string;
  label: string;
  records: Array<{ id: string; data: Uint8Array }>;
  policy: string;
  /** attribute -> { version, vk (base64) } for the policy's attributes (current versions) */
  policyKeys: Record<string, { version: number; vk: string }>;
  signer: { gid: string; organisationId: string; policy: string; keys: Record<string, { version: number; key: string; vk: string }> };
};

export type EncryptMessage =
  | { type: "progress"; phase: "encrypt" | "sign" | "pack"; done: number; total: number }
  | { type: "done"; envelope: string; signature: string; chunks: Uint8Array[]; keyVersions: Record<string, number>; signatureVersions: Record<string, number>; totalBytes: number; ms: number }
  | { type: "error"; message: string };

const post = (m: EncryptMessage, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m, transfer);

self.onmessage = (event: MessageEvent<EncryptJob>) => {
  const job = event.data;
  const started = performance.now();
  try {
    const pp = setupGlobal();
    const vks = new Map<string, AttributeVk>(Object.entries(job.policyKeys).map(([a, k]) => [a, decodeAttributeVk(b64.decode(k.vk))]));
    post({ type: "progress", phase: "encrypt", done: 0, total: job.records.length });
    const { envelope, records } = encryptBatch(pp, vks, job.policy, job.records);
    post({ type: "progress", phase: "encrypt", done: job.records.length, total: job.records.length });

    // Packed before signing: the signature covers the chunk count and total bytes.
    const chunks = packRecords(records);
    const totalBytes = chunks.reduce((n, c) => n + c.length, 0);
    post({ type: "progress", phase: "pack", done: 1, total: 1 });

    post({ type: "progress", phase: "sign", done: 0, total: 1 });
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
        recordCount: records.length,
        chunkCount: chunks.length,
        totalBytes,
      }),
      policy: job.signer.policy,
      gid: job.signer.gid,
      keys,
      vks: signVks,
    });
    post({ type: "progress", phase: "sign", done: 1, total: 1 });
    post(
      {
        type: "done",
        envelope: b64.encode(encodeEnvelope(envelope)),
        signature: b64.encode(encodeAbsSignature(signature)),
        chunks,
        keyVersions: Object.fromEntries(Object.entries(job.policyKeys).map(([a, k]) => [a, k.version])),
        signatureVersions: Object.fromEntries(Object.entries(job.signer.keys).map(([a, k]) => [a, k.version])),
        totalBytes,
        ms: performance.now() - started,
      },
      chunks.map((c) => c.buffer as ArrayBuffer),
    );
  } catch (error) {
    post({ type: "error", message: (error as Error).message ?? "Encryption failed." });
  }
};
