import "server-only";
import { createHash } from "node:crypto";
import {
  AbeError,
  absVerify,
  checkIntegrity,
  decodeEnvelope,
  envelopeDigest,
  parsePolicy,
  policyAttributes,
  setupGlobal,
  type AttributeVk,
  type Envelope,
  merkleRoot,
  recordLeaf,
} from "@/lib/abe";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";
import { UPLOAD_LIMITS, unpackChunk, uploadSignatureMessage } from "@/lib/uploads/protocol";

const pp = setupGlobal();

export type BeginUpload = {
  organisationId: string;
  uploaderId: string;
  label: string;
  format: "csv" | "fhir";
  envelope: Uint8Array;
  keyVersions: Record<string, number>;
  recordCount: number;
  chunkCount: number;
  totalBytes: number;
  signature: Uint8Array;
  signaturePolicy: string;
  signatureVersions: Record<string, number>;
  signerGid: string;
  replaces?: string;
};

function reject(reason: string): never {
  throw new AppError("VALIDATION", `Upload rejected: ${reason}. Nothing was stored.`);
}

/**
 * The CSP's checks before it accepts an upload: a well-formed envelope that passes the public
 * integrity check e(C4, g2) = e(H4(...), C3), key versions that match its policy, and the
 * uploader's attribute-based signature over the envelope digest. `vks` are the public
 * verification keys of the versions named (supplied by the caller from the authority's catalogue).
 */
export function checkEnvelope(input: BeginUpload, vks: { policy: Map<string, AttributeVk>; signature: Map<string, AttributeVk> }): Envelope {
  if (input.envelope.length > UPLOAD_LIMITS.maxEnvelopeBytes) reject("the envelope is too large");
  let env: Envelope;
  try {
    env = decodeEnvelope(input.envelope);
  } catch (error) {
    if (error instanceof AbeError) reject(`the envelope is malformed (${error.code})`);
    throw error;
  }
  if (!checkIntegrity(pp, env)) reject("the envelope fails its integrity check (tampered or truncated)");
  if (env.recordCount !== input.recordCount || env.recordCount < 1) reject("the record count does not match the envelope");
  if (env.recordCount > UPLOAD_LIMITS.maxRecords) reject(`more than ${UPLOAD_LIMITS.maxRecords} records`);
  if (input.totalBytes > UPLOAD_LIMITS.maxTotalBytes) reject("the upload is too large");
  const attrs = policyAttributes(parsePolicy(env.policy)).sort();
  if (attrs.join() !== Object.keys(input.keyVersions).sort().join()) reject("the key versions do not match the envelope's policy");
  const verdict = absVerify({
    message: uploadSignatureMessage(envelopeDigest(env), input.organisationId, input.signerGid),
    policy: input.signaturePolicy,
    gid: input.signerGid,
    signature: input.signature,
    vks: vks.signature,
  });
  if (!verdict.ok) reject(`the hospital's signature does not verify (${verdict.reason})`);
  return env;
}

export async function beginUpload(input: BeginUpload, vks: Parameters<typeof checkEnvelope>[1]) {
  const env = checkEnvelope(input, vks);
  if (input.replaces) {
    const old = await db().upload.findUnique({ where: { id: input.replaces }, select: { organisationId: true, status: true } });
    if (!old || old.organisationId !== input.organisationId || old.status !== "STORED") throw new AppError("VALIDATION", "The upload to replace does not exist or is not yours.");
  }
  const upload = await db().upload.create({
    data: {
      organisationId: input.organisationId,
      uploaderId: input.uploaderId,
      label: input.label,
      format: input.format,
      policy: env.policy,
      keyVersions: input.keyVersions,
      envelope: new Uint8Array(input.envelope),
      envelopeDigest: new Uint8Array(envelopeDigest(env)),
      recordsRoot: new Uint8Array(env.recordsRoot),
      recordCount: env.recordCount,
      chunkCount: input.chunkCount,
      totalBytes: input.totalBytes,
      signature: new Uint8Array(input.signature),
      signaturePolicy: input.signaturePolicy,
      signatureVersions: input.signatureVersions,
      signerGid: input.signerGid,
      replacesId: input.replaces ?? null,
    },
    select: { id: true },
  });
  return upload;
}

async function receivingUpload(uploadId: string, organisationId: string) {
  const upload = await db().upload.findUnique({ where: { id: uploadId }, select: { id: true, organisationId: true, status: true, chunkCount: true, recordCount: true, recordsRoot: true, totalBytes: true, replacesId: true } });
  if (!upload || upload.organisationId !== organisationId) throw new AppError("NOT_FOUND", "No such upload.");
  return upload;
}

/** Stores one chunk; sending the same chunk again is harmless (resume after a dropped connection). */
export async function putChunk(uploadId: string, organisationId: string, index: number, data: Uint8Array) {
  const upload = await receivingUpload(uploadId, organisationId);
  if (upload.status !== "RECEIVING") throw new AppError("INVALID_STATE", "This upload is already complete.");
  if (!Number.isInteger(index) || index < 0 || index >= upload.chunkCount) throw new AppError("VALIDATION", `Chunk ${index} is out of range.`);
  if (data.length === 0 || data.length > UPLOAD_LIMITS.maxChunkBytes) throw new AppError("VALIDATION", "Chunk size is out of range.");
  const sha256 = createHash("sha256").update(data).digest("hex");
  const existing = await db().uploadChunk.findUnique({ where: { uploadId_index: { uploadId, index } }, select: { sha256: true } });
  if (existing) {
    if (existing.sha256 !== sha256) throw new AppError("CONFLICT", `Chunk ${index} was already received with different content.`);
    return { index, duplicate: true };
  }
  await db().uploadChunk.create({ data: { uploadId, index, data: new Uint8Array(data), sha256 } });
  return { index, duplicate: false };
}

export async function uploadProgress(uploadId: string, organisationId: string) {
  const upload = await receivingUpload(uploadId, organisationId);
  const chunks = await db().uploadChunk.findMany({ where: { uploadId }, select: { index: true }, orderBy: { index: "asc" } });
  return { status: upload.status, chunkCount: upload.chunkCount, received: chunks.map((c) => c.index) };
}

/**
 * Assembles the records, checks that they are exactly the ones the envelope commits to
 * (Merkle root), and stores them with the upload's audit entry in one transaction. Anything
 * wrong removes the whole upload: a rejected upload leaves no ciphertext behind.
 */
export async function completeUpload(uploadId: string, organisationId: string, actorId: string) {
  const upload = await receivingUpload(uploadId, organisationId);
  if (upload.status !== "RECEIVING") throw new AppError("INVALID_STATE", "This upload is already complete.");
  const chunks = await db().uploadChunk.findMany({ where: { uploadId }, orderBy: { index: "asc" } });
  let reason: string | null = null;
  let records: ReturnType<typeof unpackChunk> = [];
  if (chunks.length !== upload.chunkCount) {
    return { missing: Array.from({ length: upload.chunkCount }, (_, i) => i).filter((i) => !chunks.some((c) => c.index === i)) };
  }
  try {
    records = chunks.flatMap((c) => unpackChunk(c.data));
    if (records.length !== upload.recordCount) reason = `expected ${upload.recordCount} records, received ${records.length}`;
    else if (records.some((r, i) => r.index !== i)) reason = "records are out of order or duplicated";
    else if (!equal(merkleRoot(records.map(recordLeaf)), upload.recordsRoot)) reason = "the records do not match the envelope's commitment (tampered in transit?)";
  } catch (error) {
    reason = `a chunk is malformed (${error instanceof AbeError ? error.code : (error as Error).message})`;
  }
  if (reason) {
    await db().$transaction(async (tx) => {
      await tx.upload.delete({ where: { id: uploadId } });
      await appendAudit(tx, { actorId, action: "UPLOAD_REJECTED", subjectType: "upload", subjectId: uploadId, data: { reason } });
    });
    reject(reason);
  }
  return db().$transaction(
    async (tx) => {
      await tx.recordCiphertext.createMany({
        data: records.map((r) => ({ uploadId, index: r.index, recordId: r.id, ct: new Uint8Array(r.ct), leafHash: new Uint8Array(recordLeaf(r)) })),
      });
      await tx.uploadChunk.deleteMany({ where: { uploadId } });
      await tx.upload.update({ where: { id: uploadId }, data: { status: "STORED", storedAt: new Date() } });
      await appendAudit(tx, { actorId, action: "UPLOAD_STORED", subjectType: "upload", subjectId: uploadId, data: { records: records.length, organisationId } });
      if (upload.replacesId) {
        // the re-encrypted copy is stored: the copy under the old key versions goes, in the same transaction
        const gone = await tx.upload.deleteMany({ where: { id: upload.replacesId, organisationId } });
        if (gone.count) await appendAudit(tx, { actorId, action: "UPLOAD_REPLACED", subjectType: "upload", subjectId: upload.replacesId, data: { by: uploadId } });
      }
      return { stored: records.length };
    },
    { timeout: 120_000 },
  );
}

/** Drops an unfinished upload (the uploader cancelled). */
export async function abandonUpload(uploadId: string, organisationId: string) {
  const upload = await receivingUpload(uploadId, organisationId);
  if (upload.status !== "RECEIVING") throw new AppError("INVALID_STATE", "A stored upload cannot be abandoned.");
  await db().upload.delete({ where: { id: uploadId } });
}

function equal(a: Uint8Array, b: Uint8Array) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * An organisation's uploads. `currentVersions` (attribute -> current key version, public
 * catalogue data) marks the uploads still encrypted under an older key version.
 */
export async function listUploads(organisationId: string, currentVersions: Record<string, number> = {}) {
  const uploads = await db().upload.findMany({
    where: { organisationId },
    orderBy: { createdAt: "desc" },
    select: { id: true, label: true, format: true, policy: true, recordCount: true, totalBytes: true, status: true, createdAt: true, storedAt: true, signerGid: true, signaturePolicy: true, keyVersions: true },
  });
  return uploads.map(({ keyVersions, ...u }) => ({
    ...u,
    outdated: Object.entries(keyVersions as Record<string, number>)
      .filter(([a, v]) => currentVersions[a] !== undefined && currentVersions[a] > v)
      .map(([attribute, version]) => ({ attribute, version, current: currentVersions[attribute] })),
  }));
}
