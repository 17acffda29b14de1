/// <reference lib="webworker" />
/**
 * Finishes outsourced decryption off the main thread: the user's step K = A / B^z (one GT
 * exponentiation), the envelope checks, the records' Merkle commitment (a cluster request: each
 * served record's inclusion proof), each record's AES-GCM,
 * the uploading hospital's signature, and that the upload is in the CSP's transparency log
 * (its UPLOAD_STORED entry, naming this envelope's digest and records root, proven against a
 * signed head that extends the one this browser kept). Anything that fails verification is reported as a
 * security failure, never returned as data: a record the hospital did not sign (planted by the
 * cloud under a policy the reader satisfies, or another upload's records swapped in) opens
 * nothing, even when it decrypts.
 */
import {
  AbeError,
  absVerify,
  decodeAttributeVk,
  decodeEnvelope,
  decodePartialDecryption,
  decodeTransformSecret,
  envelopeDigest,
  finishDecrypt,
  openRecord,
  setupGlobal,
  type AttributeVk,
  type RecordCiphertext,
} from "@/lib/abe";
import { b64 } from "@/lib/keystore/sealed";
import { recordFromBytes } from "@/lib/records/encode";
import type { Row } from "@/lib/records/dataset";
import { checkServedRecords } from "@/lib/requests/release";
import { uploadSignatureMessage } from "@/lib/uploads/protocol";
import { checkUploadInLog, type KeptHead } from "@/lib/ledger/check-upload";
import { toHex } from "@/lib/ledger/merkle";
import type { RequestDataUpload, RequestUpload } from "@/lib/validation/request";

export type { RequestUpload };

/** What the researcher asked for (ids chosen in the page): the cloud's answer must be exactly these. */
export type ExpectedUpload = { id: string; label: string; recordCount: number };

export type DecryptJob = {
  uploads: RequestDataUpload[];
  /** The CSP's log key (as the portal was configured) and the last CSP log head this browser kept. */
  log: { publicKey: string; kept: KeptHead | null };
  expected: ExpectedUpload[];
  transformSecret: string;
  publicKeys: Array<{ attribute: string; version: number; vk: string }>;
};

export type DecryptedUpload =
  | {
      uploadId: string;
      label: string;
      status: "opened";
      rows: Row[];
      clusterTypicality: number[] | null;
      source: { gid: string; policy: string; verified: true };
    }
  | { uploadId: string; label: string; status: "refused"; missing: string[] }
  | { uploadId: string; label: string; status: "failed"; detail: string };

export type DecryptMessage =
  | { type: "progress"; done: number; total: number; label: string }
  | { type: "done"; uploads: DecryptedUpload[]; head: KeptHead | null }
  | { type: "error"; message: string };

const post = (m: DecryptMessage) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m);

class SourceError extends Error {
  constructor(message: string) {
    super(`SOURCE NOT VERIFIED: ${message}`);
  }
}

/**
 * The hospital's signature must cover this envelope as the upload the researcher asked for
 * (its id, label, organisation, record count and size): otherwise the cloud planted or swapped
 * it, and nothing is opened.
 */
function checkSource(
  u: RequestUpload,
  env: ReturnType<typeof decodeEnvelope>,
  expected: ExpectedUpload[],
  seen: Set<string>,
  vkOf: (a: string, v: number) => AttributeVk | undefined,
) {
  const asked = expected.find((e) => e.id === u.uploadId);
  if (!asked || seen.has(u.uploadId)) throw new SourceError("the cloud answered with an upload that was not requested");
  seen.add(u.uploadId);
  if (asked.label !== u.label || asked.recordCount !== env.recordCount) throw new SourceError("the cloud answered with another upload than the one requested");
  const vks = new Map<string, AttributeVk>();
  for (const [a, v] of Object.entries(u.source.versions)) {
    const vk = vkOf(a, v);
    if (vk) vks.set(a, vk);
  }
  const verdict = absVerify({
    message: uploadSignatureMessage(envelopeDigest(env), {
      uploadId: u.uploadId,
      organisationId: u.organisationId,
      signerGid: u.source.gid,
      label: u.label,
      recordCount: env.recordCount,
      chunkCount: u.source.chunkCount,
      totalBytes: u.source.totalBytes,
    }),
    policy: u.source.policy,
    gid: u.source.gid,
    signature: b64.decode(u.source.signature),
    vks,
  });
  if (!verdict.ok)
    throw new SourceError(`the uploading hospital's signature does not verify (${verdict.reason}): these records were not signed by their source`);
}

/** The upload must be in the CSP's log as this envelope: otherwise the CSP serves something it never logged (or forked its log). */
function checkInLog(u: RequestDataUpload, env: ReturnType<typeof decodeEnvelope>, log: DecryptJob["log"]) {
  if (!u.log) throw new SourceError("the CSP gave no proof that this upload is in its transparency log");
  const result = checkUploadInLog(
    u.log,
    log.publicKey,
    { uploadId: u.uploadId, digest: toHex(envelopeDigest(env)), recordsRoot: toHex(env.recordsRoot) },
    log.kept,
  );
  if (!result.ok) throw new SourceError(`not in the CSP's transparency log: ${result.reason}`);
  return { size: result.head.size, root: result.head.root };
}

self.onmessage = (event: MessageEvent<DecryptJob>) => {
  const { uploads, expected, transformSecret, publicKeys, log } = event.data;
  let head: KeptHead | null = null;
  try {
    const pp = setupGlobal();
    const secret = decodeTransformSecret(b64.decode(transformSecret));
    const vkOf = (a: string, v: number): AttributeVk | undefined => {
      const row = publicKeys.find((k) => k.attribute === a && k.version === v);
      return row ? decodeAttributeVk(b64.decode(row.vk)) : undefined;
    };
    const total = uploads.reduce((n, u) => n + Math.max(1, u.records.length), 0);
    let done = 0;
    const out: DecryptedUpload[] = [];
    const seen = new Set<string>();
    for (const u of uploads) {
      if (!u.partialDecryption) {
        out.push({ uploadId: u.uploadId, label: u.label, status: "refused", missing: u.missing });
        done += 1;
        continue;
      }
      try {
        const env = decodeEnvelope(b64.decode(u.envelope));
        checkSource(u, env, expected, seen, vkOf);
        head = checkInLog(u, env, log);
        const opened = finishDecrypt(pp, env, decodePartialDecryption(b64.decode(u.partialDecryption)), secret);
        // Before anything is opened: a whole upload must match the envelope's records root; a cluster
        // request must be exactly the cluster's records, each proven included in that root.
        const records: RecordCiphertext[] = checkServedRecords(
          env,
          u.records.map((r) => ({
            index: r.index,
            id: r.id,
            ct: b64.decode(r.ct),
            proof: r.proof && { index: r.proof.index, count: r.proof.count, path: r.proof.path.map((p) => b64.decode(p)) },
          })),
          u.recordIndices,
        );
        const rows: Row[] = [];
        for (const r of records) {
          rows.push(recordFromBytes(openRecord(opened.batchKey, r)));
          if (++done % 200 === 0) post({ type: "progress", done, total, label: u.label });
        }
        out.push({
          uploadId: u.uploadId,
          label: u.label,
          status: "opened",
          rows,
          clusterTypicality: u.clusterTypicality,
          source: { gid: u.source.gid, policy: u.source.policy, verified: true },
        });
      } catch (error) {
        const detail = error instanceof AbeError ? `${error.code}: ${error.message}` : (error as Error).message;
        out.push({ uploadId: u.uploadId, label: u.label, status: "failed", detail });
      }
      post({ type: "progress", done, total, label: u.label });
    }
    post({ type: "done", uploads: out, head });
  } catch (error) {
    post({ type: "error", message: (error as Error).message });
  }
};
