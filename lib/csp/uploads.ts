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
  encodeRecordCiphertext,
  leafHash,
  merkleRoot,
} from "@/lib/abe";
import { settings } from "@/lib/config/env";
import { db, type Tx } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendCspAudit } from "@/lib/ledger/append";
import { UPLOAD_LIMITS, unpackChunk, uploadSignatureMessage } from "@/lib/uploads/protocol";
import { KeyVersions, fromJson } from "@/lib/db/json";

const pp = setupGlobal();

export type BeginUpload = {
  /** Chosen by the uploader's browser and signed: accepted once, ever (replays are refused). */
  uploadId: string;
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
  sourceDigest?: string;
  /** Who decides requests (issue #15): "automatic" unless the hospital names an approver. */
  decisionMode?: "automatic" | "hospital";
  approverId?: string;
  reviewerId?: string;
};

/** Bytes an organisation may keep at the CSP, stored and reserved by unfinished uploads together (MEDSHARE_ORG_QUOTA_BYTES). */
export function orgQuotaBytes(): number {
  return settings().MEDSHARE_ORG_QUOTA_BYTES;
}

/** How long an unfinished upload waits for its chunks before the CSP removes it (MEDSHARE_UPLOAD_TTL_HOURS). */
export function uploadTtlMs(): number {
  return settings().MEDSHARE_UPLOAD_TTL_HOURS * 3600_000;
}

function reject(reason: string): never {
  throw new AppError("VALIDATION", `Upload rejected: ${reason}. Nothing was stored.`);
}

/** Chunk PUTs of one upload queue on its row lock: give waiting (and a loaded machine) room before the transaction gives up. */
const TX = { maxWait: 10_000, timeout: 30_000 } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The CSP's checks before it accepts an upload: a well-formed envelope that passes the public
 * integrity check e(C4, g2) = e(H4(...), C3), key versions that match its policy, and the
 * uploader's attribute-based signature over the envelope digest and the upload statement (id,
 * organisation, label, record count, chunk count, total bytes). `vks` are the public
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
  if (input.chunkCount > input.totalBytes) reject("more chunks than bytes");
  const attrs = policyAttributes(parsePolicy(env.policy)).sort();
  if (attrs.join() !== Object.keys(input.keyVersions).sort().join()) reject("the key versions do not match the envelope's policy");
  const verdict = absVerify({
    message: uploadSignatureMessage(envelopeDigest(env), {
      uploadId: input.uploadId,
      organisationId: input.organisationId,
      signerGid: input.signerGid,
      label: input.label,
      recordCount: input.recordCount,
      chunkCount: input.chunkCount,
      totalBytes: input.totalBytes,
    }),
    policy: input.signaturePolicy,
    gid: input.signerGid,
    signature: input.signature,
    vks: vks.signature,
  });
  if (!verdict.ok) reject(`the hospital's signature does not verify (${verdict.reason})`);
  return env;
}

/** Bytes the organisation holds or has reserved (unexpired unfinished uploads count in full). */
async function usedBytes(tx: Tx, organisationId: string): Promise<number> {
  const [row] = await tx.$queryRaw<Array<{ used: bigint | null }>>`
    SELECT SUM(total_bytes)::bigint AS used FROM csp.uploads
    WHERE organisation_id = ${organisationId}::uuid AND (status = 'STORED' OR expires_at > now())`;
  return Number(row?.used ?? 0n);
}

export async function beginUpload(input: BeginUpload, vks: Parameters<typeof checkEnvelope>[1]) {
  if (!UUID.test(input.uploadId)) reject("the upload id is not a UUID");
  if (input.decisionMode === "hospital" && (!input.approverId || input.reviewerId === input.approverId))
    throw new AppError("VALIDATION", "A hospital decision needs a named approver, and a second reviewer, if any, who is another person.");
  const env = checkEnvelope(input, vks);
  await sweepExpiredUploads();
  if (input.replaces) {
    const old = await db().upload.findUnique({ where: { id: input.replaces }, select: { organisationId: true, status: true } });
    if (!old || old.organisationId !== input.organisationId || old.status !== "STORED")
      throw new AppError("VALIDATION", "The upload to replace does not exist or is not yours.");
  }
  return db().$transaction(async (tx) => {
    // One organisation's starts queue here, so two parallel starts cannot both slip under the quota.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`upload-quota:${input.organisationId}`}))`;
    const fresh = await tx.$queryRaw<unknown[]>`
      INSERT INTO csp.upload_nonces (upload_id, organisation_id) VALUES (${input.uploadId}::uuid, ${input.organisationId}::uuid)
      ON CONFLICT (upload_id) DO NOTHING RETURNING upload_id`;
    if (fresh.length === 0) throw new AppError("CONFLICT", "This upload was already started once: a replayed start is refused. Encrypt again to upload again.");
    const used = await usedBytes(tx, input.organisationId);
    const quota = orgQuotaBytes();
    if (used + input.totalBytes > quota)
      throw new AppError(
        "VALIDATION",
        `Upload rejected: your organisation's storage quota (${mib(quota)}) would be exceeded (${mib(used)} in use or reserved, this upload needs ${mib(input.totalBytes)}). Discard unfinished uploads or ask the operator for more. Nothing was stored.`,
      );
    const upload = await tx.upload.create({
      data: {
        id: input.uploadId,
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
        sourceDigest: input.sourceDigest ?? null,
        decisionMode: input.decisionMode ?? "automatic",
        approverId: input.decisionMode === "hospital" ? input.approverId : null,
        reviewerId: input.decisionMode === "hospital" ? (input.reviewerId ?? null) : null,
        expiresAt: new Date(Date.now() + uploadTtlMs()),
      },
      select: { id: true, expiresAt: true },
    });
    await appendCspAudit(tx, {
      actorId: input.uploaderId,
      action: "UPLOAD_STARTED",
      subjectType: "upload",
      subjectId: upload.id,
      data: {
        organisationId: input.organisationId,
        totalBytes: input.totalBytes,
        chunkCount: input.chunkCount,
        decisionMode: input.decisionMode ?? "automatic",
        ...(input.decisionMode === "hospital" ? { approverId: input.approverId, reviewerId: input.reviewerId ?? null } : {}),
      },
    });
    return upload;
  }, TX);
}

function mib(bytes: number) {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

type LockedUpload = {
  id: string;
  status: "RECEIVING" | "STORED";
  chunk_count: number;
  total_bytes: number;
  received_bytes: number;
  record_count: number;
  records_root: Uint8Array;
  envelope_digest: Uint8Array;
  policy: string;
  replaces_id: string | null;
  expires_at: Date | null;
};

/**
 * The upload row, locked until the transaction ends. "UPDATE" (completes, progress): one at a
 * time, and no chunk store of the upload runs beside them, so parallel retries see each other's
 * work instead of colliding. "KEY SHARE" (chunk stores): chunk stores of one upload run side by
 * side, and a complete waits for those in flight (and they for it). An expired unfinished upload
 * is as good as gone.
 */
async function lockUpload(tx: Tx, uploadId: string, organisationId: string, mode: "UPDATE" | "KEY SHARE" = "UPDATE"): Promise<LockedUpload> {
  if (!UUID.test(uploadId)) throw new AppError("NOT_FOUND", "No such upload.");
  const [row] =
    mode === "UPDATE"
      ? await tx.$queryRaw<LockedUpload[]>`
    SELECT id::text, status::text, chunk_count, total_bytes, received_bytes, record_count, records_root, envelope_digest, policy, replaces_id::text, expires_at FROM csp.uploads
    WHERE id = ${uploadId}::uuid AND organisation_id = ${organisationId}::uuid FOR UPDATE`
      : await tx.$queryRaw<LockedUpload[]>`
    SELECT id::text, status::text, chunk_count, total_bytes, received_bytes, record_count, records_root, envelope_digest, policy, replaces_id::text, expires_at FROM csp.uploads
    WHERE id = ${uploadId}::uuid AND organisation_id = ${organisationId}::uuid FOR KEY SHARE`;
  if (!row || (row.status === "RECEIVING" && row.expires_at && row.expires_at.getTime() <= Date.now()))
    throw new AppError("NOT_FOUND", "No such upload (unfinished uploads expire).");
  return row;
}

/**
 * Stores one chunk within the signed bounds: its index below chunkCount and the bytes received
 * never above totalBytes. Sending the same chunk again is harmless (resume after a dropped
 * connection); different bytes for a stored index are refused.
 */
export async function putChunk({ uploadId, organisationId, index, data }: { uploadId: string; organisationId: string; index: number; data: Uint8Array }) {
  if (data.length === 0 || data.length > UPLOAD_LIMITS.maxChunkBytes) throw new AppError("VALIDATION", "Chunk size is out of range.");
  const sha256 = createHash("sha256").update(data).digest("hex");
  const sameAsStored = async (tx: Tx) => {
    const existing = await tx.uploadChunk.findUnique({ where: { uploadId_index: { uploadId, index } }, select: { sha256: true } });
    if (existing && existing.sha256 !== sha256) throw new AppError("CONFLICT", `Chunk ${index} was already received with different content.`);
    return Boolean(existing);
  };
  return db().$transaction(async (tx) => {
    const upload = await lockUpload(tx, uploadId, organisationId, "KEY SHARE");
    if (await sameAsStored(tx)) return { index, duplicate: true };
    if (upload.status !== "RECEIVING") throw new AppError("INVALID_STATE", "This upload is already complete.");
    if (!Number.isInteger(index) || index < 0 || index >= upload.chunk_count)
      throw new AppError("VALIDATION", `Chunk ${index} is out of range: this upload was signed for ${upload.chunk_count} chunk(s).`);
    const tooMany = () =>
      new AppError("VALIDATION", `Chunk ${index} would take this upload past the ${upload.total_bytes} bytes its hospital signed for. Nothing was stored.`);
    if (upload.received_bytes + data.length > upload.total_bytes) throw tooMany();
    // The same chunk stored in parallel (a retry beside its original): the later one keeps the first's row.
    const inserted = await tx.$executeRaw`
      INSERT INTO csp.upload_chunks (upload_id, index, data, sha256) VALUES (${uploadId}::uuid, ${index}, ${Buffer.from(data.buffer, data.byteOffset, data.byteLength)}, ${sha256})
      ON CONFLICT (upload_id, index) DO NOTHING`;
    if (inserted === 0) {
      await sameAsStored(tx);
      return { index, duplicate: true };
    }
    // Last, so the row lock it takes is held only until the commit: the count (and the signed
    // bound, checked again on the latest row) is the one step parallel chunk stores take in turn.
    const counted = await tx.$executeRaw`
      UPDATE csp.uploads SET received_bytes = received_bytes + ${data.length}
      WHERE id = ${uploadId}::uuid AND received_bytes + ${data.length} <= total_bytes`;
    if (counted !== 1) throw tooMany();
    return { index, duplicate: false };
  }, TX);
}

export async function uploadProgress({ uploadId, organisationId }: { uploadId: string; organisationId: string }) {
  return db().$transaction(async (tx) => {
    const upload = await lockUpload(tx, uploadId, organisationId);
    const chunks = await tx.uploadChunk.findMany({ where: { uploadId }, select: { index: true }, orderBy: { index: "asc" } });
    return {
      status: upload.status,
      chunkCount: upload.chunk_count,
      totalBytes: upload.total_bytes,
      receivedBytes: upload.received_bytes,
      expiresAt: upload.expires_at,
      received: chunks.map((c) => c.index),
    };
  }, TX);
}

/**
 * Assembles the records, checks that they are exactly the ones the envelope commits to
 * (Merkle root), and stores them with the upload's audit entry in one transaction. Anything
 * wrong removes the whole upload: a rejected upload leaves no ciphertext behind. Completing
 * a stored upload again answers as the first time did (parallel retries are harmless).
 */
export async function completeUpload({ uploadId, organisationId, actorId }: { uploadId: string; organisationId: string; actorId: string }) {
  const outcome = await db().$transaction(
    async (tx): Promise<{ stored: number } | { missing: number[] } | { rejected: string }> => {
      const upload = await lockUpload(tx, uploadId, organisationId);
      if (upload.status === "STORED") return { stored: upload.record_count };
      const chunks = await tx.uploadChunk.findMany({ where: { uploadId }, orderBy: { index: "asc" } });
      if (chunks.length !== upload.chunk_count) {
        return { missing: Array.from({ length: upload.chunk_count }, (_, i) => i).filter((i) => !chunks.some((c) => c.index === i)) };
      }
      const { records, leaves, reason } = assemble(chunks, upload);
      if (reason) {
        await tx.upload.delete({ where: { id: uploadId } });
        await appendCspAudit(tx, { actorId, action: "UPLOAD_REJECTED", subjectType: "upload", subjectId: uploadId, data: { reason } });
        return { rejected: reason };
      }
      await store(tx, upload, organisationId, actorId, records, leaves);
      return { stored: records.length };
    },
    { maxWait: TX.maxWait, timeout: 120_000 },
  );
  if ("rejected" in outcome) reject(outcome.rejected);
  return outcome as { stored: number } | { missing: number[] };
}

type Chunk = { index: number; data: Uint8Array };

/** The chunks' records and their Merkle leaves, or why they are not the ones the hospital signed for. */
function assemble(chunks: Chunk[], upload: LockedUpload) {
  let records: ReturnType<typeof unpackChunk> = [];
  const none = { records, leaves: [] as Uint8Array[] };
  const bytes = chunks.reduce((n, c) => n + c.data.length, 0);
  if (bytes !== upload.total_bytes) return { ...none, reason: `received ${bytes} bytes, the hospital signed for ${upload.total_bytes}` };
  try {
    records = chunks.flatMap((c) => unpackChunk(c.data));
  } catch (error) {
    return { ...none, reason: `a chunk is malformed (${error instanceof AbeError ? error.code : (error as Error).message})` };
  }
  if (records.length !== upload.record_count) return { ...none, reason: `expected ${upload.record_count} records, received ${records.length}` };
  if (records.some((r, i) => r.index !== i)) return { ...none, reason: "records are out of order or duplicated" };
  // recordLeaf of each record and the root over them, with Node's native SHA-256 (the same hashes)
  const leaves = records.map((r) => leafHash(encodeRecordCiphertext(r), nativeSha256));
  if (!equal(merkleRoot(leaves, nativeSha256), upload.records_root))
    return { ...none, reason: "the records do not match the envelope's commitment (tampered in transit?)" };
  return { records, leaves, reason: null };
}

/** Records per INSERT statement when an upload is stored (one statement per slice, all in the upload's transaction). */
export const STORE_BATCH = 4096;

async function store(tx: Tx, upload: LockedUpload, organisationId: string, actorId: string, records: ReturnType<typeof unpackChunk>, leaves: Uint8Array[]) {
  const uploadId = upload.id;
  // Column arrays through unnest: one round trip per slice instead of one bound row per record.
  for (let k = 0; k < records.length; k += STORE_BATCH) {
    const part = records.slice(k, k + STORE_BATCH);
    await tx.$executeRawUnsafe(
      `INSERT INTO csp.record_ciphertexts (upload_id, index, record_id, ct, leaf_hash)
       SELECT $1::uuid, * FROM unnest($2::int[], $3::text[], $4::bytea[], $5::bytea[])`,
      uploadId,
      part.map((r) => r.index),
      part.map((r) => r.id),
      part.map((r) => Buffer.from(r.ct.buffer, r.ct.byteOffset, r.ct.byteLength)),
      leaves.slice(k, k + STORE_BATCH).map((h) => Buffer.from(h.buffer, h.byteOffset, h.byteLength)),
    );
  }
  await tx.uploadChunk.deleteMany({ where: { uploadId } });
  await tx.upload.update({ where: { id: uploadId }, data: { status: "STORED", storedAt: new Date(), expiresAt: null } });
  // A leaf of the CSP's transparency log: what was stored, for whom, under which policy, and where
  // its ciphertexts live; the hospital's and the researcher's browsers check it (lib/ledger/upload-proof.ts).
  await appendCspAudit(tx, {
    actorId,
    action: "UPLOAD_STORED",
    subjectType: "upload",
    subjectId: uploadId,
    data: {
      uploadId,
      records: records.length,
      organisationId,
      digest: Buffer.from(upload.envelope_digest).toString("hex"),
      recordsRoot: Buffer.from(upload.records_root).toString("hex"),
      policy: upload.policy,
      location: `csp:record_ciphertexts/${uploadId}`,
    },
  });
  if (upload.replaces_id) {
    // the re-encrypted copy is stored: the copy under the old key versions goes, in the same transaction
    const gone = await tx.upload.deleteMany({ where: { id: upload.replaces_id, organisationId } });
    if (gone.count)
      await appendCspAudit(tx, { actorId, action: "UPLOAD_REPLACED", subjectType: "upload", subjectId: upload.replaces_id, data: { by: uploadId } });
  }
}

/** Drops an unfinished upload (the uploader discarded it), audited in the same transaction. */
export async function abandonUpload({ uploadId, organisationId, actorId }: { uploadId: string; organisationId: string; actorId: string }) {
  await db().$transaction(async (tx) => {
    const upload = await lockUpload(tx, uploadId, organisationId);
    if (upload.status !== "RECEIVING") throw new AppError("INVALID_STATE", "A stored upload cannot be discarded here.");
    await tx.upload.delete({ where: { id: uploadId } });
    await appendCspAudit(tx, {
      actorId,
      action: "UPLOAD_DISCARDED",
      subjectType: "upload",
      subjectId: uploadId,
      data: { organisationId, receivedBytes: upload.received_bytes },
    });
  }, TX);
}

/** Sets the note the organisation keeps with one of its uploads, audited. */
export async function describeUpload({ uploadId, organisationId, actorId, note }: { uploadId: string; organisationId: string; actorId: string; note: string }) {
  return db().$transaction(async (tx) => {
    const upload = await lockUpload(tx, uploadId, organisationId);
    const { note: before } = await tx.upload.findUniqueOrThrow({ where: { id: upload.id }, select: { note: true } });
    if (before === note) return { changed: false };
    await tx.upload.update({ where: { id: uploadId }, data: { note } });
    await appendCspAudit(tx, { actorId, action: "UPLOAD_NOTE_SET", subjectType: "upload", subjectId: uploadId, data: { organisationId, length: note.length } });
    return { changed: true };
  }, TX);
}

/**
 * Deletes one of the organisation's stored uploads: its record ciphertexts, envelope and
 * feature ciphertexts go (cascade), and so do its records' labels in finished clustering runs,
 * so no cluster releases them again. Refused while a queued or running run reads it. Audited in
 * the same transaction.
 */
export async function deleteUpload({ uploadId, organisationId, actorId }: { uploadId: string; organisationId: string; actorId: string }) {
  return db().$transaction(async (tx) => {
    const upload = await lockUpload(tx, uploadId, organisationId);
    if (upload.status !== "STORED") throw new AppError("INVALID_STATE", "An unfinished upload is discarded, not deleted.");
    const busy = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id::text FROM csp.clustering_runs WHERE status IN ('QUEUED', 'RUNNING') AND upload_ids @> ${JSON.stringify([uploadId])}::jsonb`;
    if (busy.length) throw new AppError("INVALID_STATE", "A clustering run is reading this upload now: delete it once the run has finished or been cancelled.");
    const labels = await tx.runLabel.deleteMany({ where: { uploadId } });
    await tx.upload.delete({ where: { id: uploadId } });
    await appendCspAudit(tx, {
      actorId,
      action: "UPLOAD_DELETED",
      subjectType: "upload",
      subjectId: uploadId,
      data: { organisationId, records: upload.record_count, totalBytes: upload.total_bytes, clusterLabels: labels.count },
    });
    return { deleted: true };
  }, TX);
}

/**
 * Removes unfinished uploads past their expiry, with their chunks (cascade), each audited. Run
 * lazily at every start and listing; cheap when there is nothing to do.
 */
export async function sweepExpiredUploads() {
  return db().$transaction(async (tx) => {
    const gone = await tx.$queryRaw<Array<{ id: string; organisation_id: string }>>`
      DELETE FROM csp.uploads WHERE status = 'RECEIVING' AND expires_at <= now() RETURNING id::text, organisation_id::text`;
    for (const u of gone)
      await appendCspAudit(tx, {
        actorId: null,
        action: "UPLOAD_EXPIRED",
        subjectType: "upload",
        subjectId: u.id,
        data: { organisationId: u.organisation_id },
      });
    return gone.length;
  }, TX);
}

const nativeSha256 = (data: Uint8Array): Uint8Array => createHash("sha256").update(data).digest();

function equal(a: Uint8Array, b: Uint8Array) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * An organisation's uploads. `currentVersions` (attribute -> current key version, public
 * catalogue data) marks the uploads still encrypted under an older key version.
 */
export async function listUploads(organisationId: string, currentVersions: Record<string, number> = {}) {
  await sweepExpiredUploads();
  const uploads = await db().upload.findMany({
    where: { organisationId },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      label: true,
      note: true,
      format: true,
      policy: true,
      recordCount: true,
      totalBytes: true,
      status: true,
      createdAt: true,
      storedAt: true,
      signerGid: true,
      signaturePolicy: true,
      keyVersions: true,
      chunkCount: true,
      receivedBytes: true,
      expiresAt: true,
      _count: { select: { chunks: true } },
      envelopeDigest: true,
      recordsRoot: true,
      features: { select: { status: true, ciphertextCount: true, _count: { select: { ciphertexts: true } } } },
    },
  });
  return uploads.map(({ keyVersions, _count, features, envelopeDigest, recordsRoot, ...u }) => ({
    ...u,
    /** What the upload's UPLOAD_STORED log entry must name (the browser checks it, lib/ledger/check-upload.ts). */
    digest: Buffer.from(envelopeDigest).toString("hex"),
    recordsRoot: Buffer.from(recordsRoot).toString("hex"),
    /** The encrypted clustering tensors: stored, begun but not complete (with how many arrived), or never sent. */
    clustering: !features
      ? ({ status: "none" } as const)
      : features.status === "STORED"
        ? ({ status: "stored" } as const)
        : ({ status: "incomplete", received: features._count.ciphertexts, expected: features.ciphertextCount } as const),
    /** Unfinished uploads: how many chunks arrived (resumable until expiresAt). */
    receivedChunks: _count.chunks,
    outdated: Object.entries(fromJson(KeyVersions, keyVersions, "uploads.key_versions"))
      .filter(([a, v]) => currentVersions[a] !== undefined && currentVersions[a] > v)
      .map(([attribute, version]) => ({ attribute, version, current: currentVersions[attribute] })),
  }));
}

/** One of the organisation's stored uploads (for re-encrypting it), or null. */
export function storedUpload({ uploadId, organisationId }: { uploadId: string; organisationId: string }) {
  return db().upload.findFirst({
    where: { id: uploadId, organisationId, status: "STORED" },
    select: { id: true, label: true, policy: true, recordCount: true },
  });
}

/**
 * The organisation's uploads made from the same source file (equal salted digests), stored or
 * still arriving: the upload page warns before the same file is stored twice.
 */
export async function uploadsByDigest(organisationId: string, sourceDigest: string) {
  await sweepExpiredUploads();
  return db().upload.findMany({
    where: { organisationId, sourceDigest },
    orderBy: { createdAt: "desc" },
    select: { id: true, label: true, status: true, recordCount: true, createdAt: true },
  });
}
