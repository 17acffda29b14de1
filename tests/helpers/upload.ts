import { randomUUID } from "node:crypto";
import { absSign, encodeAbsSignature, encodeEnvelope, encryptBatch, envelopeDigest, setupGlobal, type G2 } from "@/lib/abe";
import type { SessionUser } from "@/lib/auth/session";
import { vksFor } from "@/lib/authority/catalogue";
import { completeUpload, putChunk } from "@/lib/csp/uploads";
import { checkPolicy, startUpload } from "@/lib/portal/uploads";
import { packRecords, uploadSignatureMessage } from "@/lib/uploads/protocol";

const pp = setupGlobal();

export type Uploader = { user: SessionUser; keys: Map<string, G2>; versions: Record<string, number> };

/** What the uploader's browser does: encrypt the batch, sign the envelope digest, chunk the records. */
export async function prepareUpload(staff: Uploader, policy: string, rows: unknown[], signaturePolicy: string, chunkBytes = 1024, label = "test batch") {
  const { versions } = await checkPolicy(policy);
  const vks = await vksFor(versions);
  const enc = new TextEncoder();
  const { envelope, records } = encryptBatch(
    pp,
    vks,
    policy,
    rows.map((p, i) => ({ id: `r${i}`, data: enc.encode(JSON.stringify(p)) })),
  );
  const chunks = packRecords(records, chunkBytes);
  const uploadId = randomUUID();
  const totalBytes = chunks.reduce((n, c) => n + c.length, 0);
  const signature = absSign({
    message: uploadSignatureMessage(envelopeDigest(envelope), {
      uploadId,
      organisationId: staff.user.organisation.id,
      signerGid: staff.user.gid,
      label,
      recordCount: records.length,
      chunkCount: chunks.length,
      totalBytes,
    }),
    policy: signaturePolicy,
    gid: staff.user.gid,
    keys: staff.keys,
    vks: await vksFor({ [signaturePolicy]: staff.versions[signaturePolicy] }),
  });
  return {
    chunks,
    body: {
      uploadId,
      label,
      format: "csv" as const,
      envelope: Buffer.from(encodeEnvelope(envelope)).toString("base64"),
      keyVersions: versions,
      recordCount: records.length,
      chunkCount: chunks.length,
      totalBytes,
      signature: Buffer.from(encodeAbsSignature(signature)).toString("base64"),
      signaturePolicy,
      signatureVersions: { [signaturePolicy]: staff.versions[signaturePolicy] },
    },
  };
}

/** A complete, stored upload. */
export async function uploadRows(staff: Uploader, policy: string, rows: unknown[], signaturePolicy: string) {
  const { chunks, body } = await prepareUpload(staff, policy, rows, signaturePolicy);
  const { id } = await startUpload(staff.user, body);
  for (const [i, c] of chunks.entries()) await putChunk({ uploadId: id, organisationId: staff.user.organisation.id, index: i, data: c });
  await completeUpload({ uploadId: id, organisationId: staff.user.organisation.id, actorId: staff.user.id });
  return id;
}
