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
  type RecordCiphertext,
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

/** A chunk's records and their Merkle leaves, or a 4xx saying why the body is not a chunk of whole, consecutive records. */
function readChunk(index: number, data: Uint8Array) {
  let records: RecordCiphertext[];
  try {
    records = unpackChunk(data);
  } catch (error) {
    throw new AppError("VALIDATION", `Chunk ${index} is malformed (${error instanceof AbeError ? error.code : (error as Error).message}). Nothing was stored.`);
  }
  const first = records[0].index;
  if (records.some((r, k) => r.index !== first + k))
    throw new AppError("VALIDATION", `Chunk ${index}'s records are out of order or duplicated. Nothing was stored.`);
  // recordLeaf of each record, with Node's native SHA-256 (the same hashes)
  const leaves = Buffer.concat(records.map((r) => leafHash(encodeRecordCiphertext(r), nativeSha256)));
  return { records, first, leaves };
}

/**
 * Stores one chunk within the signed bounds: its index below chunkCount and the bytes received
 * never above totalBytes. Its records go into record_ciphertexts at once, in the chunk's own
 * transaction (they stay invisible until the upload is STORED; readers ask for that status), so
 * the completion only checks the chunks' layout and leaves. Sending the same chunk again is
 * harmless (resume after a dropped connection); different bytes for a stored index are refused,
 * and so are records another chunk already holds.
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
    const { records, first, leaves } = readChunk(index, data);
    if (first + records.length > upload.record_count)
      throw new AppError("VALIDATION", `Chunk ${index} holds records past the ${upload.record_count} its hospital signed for. Nothing was stored.`);
    // The same chunk stored in parallel (a retry beside its original): the later one keeps the first's row, before any record is written.
    const inserted = await tx.$executeRaw`
      INSERT INTO csp.upload_chunks (upload_id, index, sha256, size, first_record, record_count, leaves)
      VALUES (${uploadId}::uuid, ${index}, ${sha256}, ${data.length}, ${first}, ${records.length}, ${leaves})
      ON CONFLICT (upload_id, index) DO NOTHING`;
    if (inserted === 0) {
      await sameAsStored(tx);
      return { index, duplicate: true };
    }
    const written = await storeRecords(tx, uploadId, records, leaves);
    if (written !== records.length) throw new AppError("CONFLICT", `Chunk ${index}'s records overlap another chunk's. Nothing was stored.`);
    // Last, so the row lock it takes is held only until the commit: the count (and the signed
    // bound, checked again on the latest row) is the one step parallel chunk stores take in turn.
    const counted = await tx.$executeRaw`
      UPDATE csp.uploads SET received_bytes = received_bytes + ${data.length}
      WHERE id = ${uploadId}::uuid AND received_bytes + ${data.length} <= total_bytes`;
    if (counted !== 1) throw tooMany();
    return { index, duplicate: false };
  }, TX);
}

/** Records per INSERT statement (one statement per slice, all in the chunk's transaction). */
export const STORE_BATCH = 4096;

/** Inserts consecutive records with their leaves (32 bytes each, in order); a record whose index is taken is skipped: returns how many were written. */
async function storeRecords(tx: Tx, uploadId: string, records: RecordCiphertext[], leaves: Uint8Array) {
  let written = 0;
  // Column arrays through unnest: one round trip per slice instead of one bound row per record.
  for (let k = 0; k < records.length; k += STORE_BATCH) {
    const part = records.slice(k, k + STORE_BATCH);
    written += await tx.$executeRawUnsafe(
      `INSERT INTO csp.record_ciphertexts (upload_id, index, record_id, ct, leaf_hash)
       SELECT $1::uuid, * FROM unnest($2::int[], $3::text[], $4::bytea[], $5::bytea[])
       ON CONFLICT (upload_id, index) DO NOTHING`,
      uploadId,
      part.map((r) => r.index),
      part.map((r) => r.id),
      part.map((r) => Buffer.from(r.ct.buffer, r.ct.byteOffset, r.ct.byteLength)),
      part.map((_, j) => Buffer.from(leaves.buffer, leaves.byteOffset + (k + j) * 32, 32)),
    );
  }
  return written;
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
 * Checks that the chunks' records are exactly the ones the envelope commits to (every chunk, the
 * signed byte and record counts, consecutive records, the Merkle root over their stored leaves)
 * and marks the upload STORED with its audit entry in one transaction. Anything wrong removes the
 * whole upload, its records included: a rejected upload leaves no ciphertext behind. Completing
 * a stored upload again answers as the first time did (parallel retries are harmless).
 */
export async function completeUpload({ uploadId, organisationId, actorId }: { uploadId: string; organisationId: string; actorId: string }) {
  const outcome = await db().$transaction(
    async (tx): Promise<{ stored: number } | { missing: number[] } | { rejected: string }> => {
      // FOR UPDATE: waits for the chunk stores in flight, and keeps new ones out until the commit.
      const upload = await lockUpload(tx, uploadId, organisationId);
      if (upload.status === "STORED") return { stored: upload.record_count };
      const chunks = await tx.uploadChunk.findMany({
        where: { uploadId },
        orderBy: { index: "asc" },
        select: { index: true, size: true, firstRecord: true, recordCount: true, leaves: true },
      });
      if (chunks.length !== upload.chunk_count) {
        const received = new Set(chunks.map((c) => c.index));
        return { missing: Array.from({ length: upload.chunk_count }, (_, i) => i).filter((i) => !received.has(i)) };
      }
      const reason = mismatch(chunks, upload);
      if (reason) {
        await tx.upload.delete({ where: { id: uploadId } });
        await appendCspAudit(tx, { actorId, action: "UPLOAD_REJECTED", subjectType: "upload", subjectId: uploadId, data: { reason } });
        return { rejected: reason };
      }
      await store(tx, upload, organisationId, actorId);
      return { stored: upload.record_count };
    },
    { maxWait: TX.maxWait, timeout: 120_000 },
  );
  if ("rejected" in outcome) reject(outcome.rejected);
  return outcome as { stored: number } | { missing: number[] };
}

type StoredChunk = { index: number; size: number; firstRecord: number; recordCount: number; leaves: Uint8Array };

/** Why every chunk's records together are not the ones the hospital signed for, or null. */
function mismatch(chunks: StoredChunk[], upload: LockedUpload): string | null {
  const bytes = chunks.reduce((n, c) => n + c.size, 0);
  if (bytes !== upload.total_bytes) return `received ${bytes} bytes, the hospital signed for ${upload.total_bytes}`;
  const received = chunks.reduce((n, c) => n + c.recordCount, 0);
  if (received !== upload.record_count) return `expected ${upload.record_count} records, received ${received}`;
  // Each chunk's records are consecutive (checked on arrival): in chunk order they must run 0, 1, ... without a gap or overlap.
  let next = 0;
  for (const c of chunks) {
    if (c.firstRecord !== next || c.leaves.length !== 32 * c.recordCount) return "records are out of order or duplicated";
    next += c.recordCount;
  }
  const leaves = chunks.flatMap((c) => Array.from({ length: c.recordCount }, (_, k) => c.leaves.subarray(32 * k, 32 * k + 32)));
  if (!equal(merkleRoot(leaves, nativeSha256), upload.records_root)) return "the records do not match the envelope's commitment (tampered in transit?)";
  return null;
}

async function store(tx: Tx, upload: LockedUpload, organisationId: string, actorId: string) {
  const uploadId = upload.id;
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
      records: upload.record_count,
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
