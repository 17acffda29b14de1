import "server-only";
import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  AbeError,
  decodeEnvelope,
  decodeTransformKey,
  encodePartialDecryption,
  explainMissing,
  formatPolicy,
  merkleProofs,
  parsePolicy,
  partialDecrypt,
  satisfies,
  setupGlobal,
  type G2,
} from "@/lib/abe";
import { db, type Tx } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendCspAudit } from "@/lib/ledger/append";
import { ACCESS_PERIOD, DAY_MS, tokenHash } from "@/lib/requests/protocol";
import { releaseDigest, releasedIds } from "@/lib/requests/release";
import type { RequestUpload } from "@/lib/validation/request";
import { releasedUploadsLogProofs } from "@/lib/ledger/upload-proof";
import { assertDecided, requestDecision } from "./decisions";
import { sweepExpiredGrants } from "./grant-expiry";
import { IndexList, KeyVersions, StringList, fromJson, fromJsonOrNull } from "@/lib/db/json";
import { TypicalitySummary, typicalityView } from "@/lib/clustering/typicality";

const pp = setupGlobal();

/** Datasets (stored uploads) a researcher can browse: public facts only, no plaintext. */
export function listDatasets() {
  return db().upload.findMany({
    where: { status: "STORED" },
    orderBy: { storedAt: "desc" },
    select: {
      id: true,
      label: true,
      format: true,
      policy: true,
      keyVersions: true,
      recordCount: true,
      storedAt: true,
      organisationId: true,
      signerGid: true,
      signaturePolicy: true,
    },
  });
}

/**
 * The CSP answers a request: the requested ciphertexts' identifiers and an access token bound
 * to the requester and this request (only its hash is kept). The signature the authority will
 * check must satisfy one of the requested data's policies.
 */
export async function createRequest(input: {
  /** Chosen by the portal, so the authority's token for this call names the request it creates. */
  requestId: string;
  requesterId: string;
  organisationId: string;
  purpose: string;
  /** The access period asked for; the grant's expiry is set from it (capped by the wire schema). */
  periodDays?: number;
  /** Digest of the owners' terms of use the researcher accepted (the portal refuses a request without acceptance). */
  termsDigest?: string;
  uploadIds: string[];
  /** A cluster: the record indices of each upload that belong to it (otherwise whole uploads). */
  cluster?: { runId: string; cluster: number; indices: Record<string, number[]> };
}) {
  const uploads = await db().upload.findMany({
    where: { id: { in: input.uploadIds }, status: "STORED" },
    select: { id: true, policy: true, recordCount: true, keyVersions: true, label: true, decisionMode: true },
  });
  if (uploads.length !== new Set(input.uploadIds).size) throw new AppError("NOT_FOUND", "A requested dataset does not exist.");
  const policies = [...new Set(uploads.map((u) => u.policy))];
  const absPolicy = formatPolicy(parsePolicy(policies.length === 1 ? policies[0] : policies.map((p) => `(${p})`).join(" OR ")));
  const token = randomBytes(32).toString("base64url");
  const nonce = randomBytes(16).toString("hex");
  const request = await db().$transaction(async (tx) => {
    const r = await tx.accessRequest.create({
      data: {
        id: input.requestId,
        requesterId: input.requesterId,
        organisationId: input.organisationId,
        purpose: input.purpose,
        periodDays: input.periodDays ?? ACCESS_PERIOD.defaultDays,
        // Until granted, the request can be used for no longer than the period either; reset at grant.
        expiresAt: new Date(Date.now() + (input.periodDays ?? ACCESS_PERIOD.defaultDays) * DAY_MS),
        targetType: input.cluster ? "cluster" : "uploads",
        targetId: input.cluster
          ? `${input.cluster.runId}:${input.cluster.cluster}`
          : uploads
              .map((u) => u.id)
              .sort()
              .join(","),
        clusterRunId: input.cluster?.runId ?? null,
        clusterIndex: input.cluster?.cluster ?? null,
        absPolicy,
        nonce,
        tokenHash: tokenHash(token),
        termsAcceptedAt: input.termsDigest ? new Date() : null,
        termsDigest: input.termsDigest ?? null,
        // An upload decided by its hospital waits for that decision; the others are decided by the ABS check alone.
        items: {
          create: uploads.map((u) => ({
            uploadId: u.id,
            recordIndices: input.cluster ? (input.cluster.indices[u.id] ?? []) : undefined,
            decision: u.decisionMode === "hospital" ? "pending" : null,
          })),
        },
      },
      select: { id: true, createdAt: true, targetType: true, targetId: true },
    });
    await appendCspAudit(tx, {
      actorId: input.requesterId,
      action: "REQUEST_CREATED",
      subjectType: "request",
      subjectId: r.id,
      data: {
        uploads: uploads.map((u) => u.id),
        records: uploads.reduce((n, u) => n + u.recordCount, 0),
        periodDays: input.periodDays ?? ACCESS_PERIOD.defaultDays,
        awaitingDecision: uploads.filter((u) => u.decisionMode === "hospital").map((u) => u.id),
        ...(input.termsDigest ? { termsDigest: input.termsDigest } : {}),
      },
    });
    return r;
  });
  return {
    requestId: request.id,
    token,
    nonce,
    issuedAt: request.createdAt.toISOString(),
    targetType: request.targetType,
    targetId: request.targetId,
    absPolicy,
    uploads: uploads.map((u) => ({
      id: u.id,
      label: u.label,
      policy: u.policy,
      recordCount: u.recordCount,
      keyVersions: fromJson(KeyVersions, u.keyVersions, "uploads.key_versions"),
    })),
    awaitingDecision: uploads.some((u) => u.decisionMode === "hospital"),
  };
}

/** The request, if `token` is its access token and `userId` its requester; otherwise refused. */
export async function requestForToken({ requestId, userId, token }: { requestId: string; userId: string; token: string }) {
  const request = await db().accessRequest.findUnique({ where: { id: requestId } });
  const expected = Buffer.from(request?.tokenHash ?? "0".repeat(64), "hex");
  const given = Buffer.from(tokenHash(token), "hex");
  if (!request || !timingSafeEqual(expected, given)) throw new AppError("FORBIDDEN", "This access token does not belong to that request.");
  if (request.requesterId !== userId) throw new AppError("FORBIDDEN", "This request belongs to someone else; its token cannot be used by you.");
  return request;
}

/** The request if it exists and is `userId`'s; otherwise the same answer as for no request at all. */
export async function ownRequest({ requestId, userId }: { requestId: string; userId: string }) {
  const request = await db().accessRequest.findUnique({
    where: { id: requestId },
    select: { id: true, requesterId: true, status: true, items: { select: { decision: true } } },
  });
  if (!request || request.requesterId !== userId) throw new AppError("NOT_FOUND", "No such request.");
  return { requestId: request.id, status: request.status, decision: requestDecision(request.items) };
}

/**
 * The CSP's share of decryption for a verified request: for each requested envelope whose
 * policy the transform key satisfies at the envelope's key versions, one multi-pairing partial
 * decryption; for the others, what is missing. The transform key comes in layers (one per set
 * of key versions, all under the requester's one z), so an upload made before a rotation and one
 * made after it each find their version. Without z the results open nothing.
 */
export async function partialDecryptRequest({
  requestId,
  requesterId,
  layers,
}: {
  requestId: string;
  requesterId: string;
  layers: Array<{ tk: Uint8Array; keyVersions: Record<string, number> }>;
}) {
  // The authority's token names the requester; the CSP still refuses a request that is not theirs.
  const request = await db().accessRequest.findUnique({
    where: { id: requestId },
    select: { id: true, requesterId: true, expiresAt: true, withdrawnAt: true, periodDays: true },
  });
  if (!request || request.requesterId !== requesterId) throw new AppError("FORBIDDEN", "This request belongs to someone else.");
  await assertGrantLive(request, "partial decryption");
  await assertDecided(request, "partial decryption");
  const { gid, points } = transformPoints(layers);
  // Attributes the transform key has at some version: a miss on those is a version, not the attribute.
  const covered = new Set([...points.keys()].map((id) => id.slice(0, id.lastIndexOf("@"))));
  const items = await db().accessRequestUpload.findMany({ where: { requestId }, select: { uploadId: true, recordIndices: true, decision: true } });
  const uploads = await db().upload.findMany({
    where: { id: { in: items.map((i) => i.uploadId) } },
    select: { id: true, envelope: true, keyVersions: true, recordCount: true },
  });
  const results: Array<{ uploadId: string; pd: Uint8Array<ArrayBuffer> | null; missing: string[] | null }> = [];
  for (const u of uploads) {
    // An upload its owner denied is not opened, whatever the other uploads' owners decided.
    if (items.find((i) => i.uploadId === u.id)?.decision === "denied") {
      results.push({ uploadId: u.id, pd: null, missing: null });
      continue;
    }
    const env = decodeEnvelope(u.envelope);
    const versions = fromJson(KeyVersions, u.keyVersions, "uploads.key_versions");
    // Only keys of the versions this envelope was made with can help: pick them from any layer.
    const usable = new Map<string, G2>();
    for (const [a, v] of Object.entries(versions)) {
      const K = points.get(`${a}@${v}`);
      if (K) usable.set(a, K);
    }
    const node = parsePolicy(env.policy);
    if (!satisfies(node, usable.keys())) {
      results.push({
        uploadId: u.id,
        pd: null,
        missing: explainMissing(node, usable.keys()).map((a) => (covered.has(a) ? `${a} at key version ${versions[a]}` : a)),
      });
      continue;
    }
    const pd = partialDecrypt(pp, env, { gid, keys: usable });
    results.push({ uploadId: u.id, pd: new Uint8Array(encodePartialDecryption(pd)), missing: null });
  }
  // What this partial decryption lets the requester read: the requested records of the opened uploads.
  const released = releaseDigest(
    results
      .filter((r) => r.pd)
      .flatMap((r) => {
        const item = items.find((i) => i.uploadId === r.uploadId);
        return releasedIds(
          r.uploadId,
          fromJsonOrNull(IndexList, item?.recordIndices, "access_request_uploads.record_indices"),
          uploads.find((u) => u.id === r.uploadId)?.recordCount ?? 0,
        );
      }),
  );
  await db().$transaction(async (tx) => {
    for (const r of results)
      await tx.accessRequestUpload.update({
        where: { requestId_uploadId: { requestId, uploadId: r.uploadId } },
        data: { partialDecryption: r.pd, missing: r.missing ?? undefined },
      });
    const now = new Date();
    // The grant runs for the period asked for, from now; the CSP itself refuses after it.
    await tx.accessRequest.update({
      where: { id: requestId },
      data: { status: "READY", decidedAt: now, expiresAt: new Date(now.getTime() + request.periodDays * DAY_MS) },
    });
    await appendCspAudit(tx, {
      actorId: requesterId,
      action: "PARTIAL_DECRYPTION",
      subjectType: "request",
      subjectId: requestId,
      data: {
        opened: results.filter((r) => r.pd).map((r) => r.uploadId),
        refused: results.filter((r) => !r.pd).map((r) => r.uploadId),
        records: released.count,
        recordsDigest: released.digest,
      },
    });
  });
  return { uploads: results.map((r) => ({ uploadId: r.uploadId, opened: Boolean(r.pd), missing: r.missing ?? [] })), released };
}

/**
 * The transform key's layers as one lookup "attribute@version" -> TK_i. All layers must be the
 * same person's; a version covered twice is refused (the authority stores no such key).
 */
function transformPoints(layers: Array<{ tk: Uint8Array; keyVersions: Record<string, number> }>) {
  const points = new Map<string, G2>();
  let gid: string | null = null;
  for (const layer of layers) {
    let tk;
    try {
      tk = decodeTransformKey(layer.tk);
    } catch (error) {
      if (error instanceof AbeError) throw new AppError("VALIDATION", `The transform key is malformed (${error.code}).`);
      throw error;
    }
    if (gid !== null && tk.gid !== gid) throw new AppError("VALIDATION", "The transform key's layers belong to different people.");
    gid = tk.gid;
    for (const [a, K] of tk.keys) {
      const v = layer.keyVersions[a];
      if (!v) throw new AppError("VALIDATION", "The transform key and its version list disagree.");
      if (points.has(`${a}@${v}`)) throw new AppError("VALIDATION", `The transform key covers ${a}@${v} twice.`);
      points.set(`${a}@${v}`, K);
    }
  }
  if (gid === null) throw new AppError("VALIDATION", "The transform key is empty.");
  return { gid, points };
}

/** A verified request's data, to its requester only, on presentation of its access token. */
export async function verifiedRequestData({ requestId, userId, token, since }: { requestId: string; userId: string; token: string; since?: number }) {
  const request = await requestForToken({ requestId, userId, token });
  await assertDecided(request, "ciphertexts");
  if (request.status !== "READY") throw new AppError("INVALID_STATE", "This request has not been verified yet.");
  await assertGrantLive(request, "ciphertexts");
  const data = await requestData(requestId);
  // The release itself is audited: exactly which records' ciphertexts left the CSP.
  const released = releaseDigest(data.flatMap((u) => u.records.map((r) => `${u.uploadId}:${r.index}`)));
  await db().$transaction((tx) =>
    appendCspAudit(tx, {
      actorId: userId,
      action: "CIPHERTEXTS_RELEASED",
      subjectType: "request",
      subjectId: requestId,
      data: { uploads: data.filter((u) => u.records.length).map((u) => u.uploadId), records: released.count, recordsDigest: released.digest },
    }),
  );
  // Each upload's UPLOAD_STORED entry, proven in the CSP's log: the browser shows nothing it cannot find there.
  const proofs = await releasedUploadsLogProofs(
    db(),
    data.map((u) => u.uploadId),
    since,
  );
  return data.map((u) => ({ ...u, log: proofs.get(u.uploadId) ?? null }));
}

/** Everything the requester's browser needs to finish decryption and check the results (its shape: lib/validation/request.ts). */
export async function requestData(requestId: string): Promise<RequestUpload[]> {
  const items = await db().accessRequestUpload.findMany({ where: { requestId } });
  const { clusterRunId: runId, clusterIndex } = await db().accessRequest.findUniqueOrThrow({
    where: { id: requestId },
    select: { clusterRunId: true, clusterIndex: true },
  });
  // For a cluster: the run's aggregate of its records' typicality to that cluster (10 bins), for the chart.
  // The CSP keeps no per-record typicality (issue #14).
  let clusterTypicality: number[] | null = null;
  if (runId) {
    const run = await db().clusteringRun.findUnique({ where: { id: runId }, select: { k: true, typicality: true } });
    const summary = run ? fromJsonOrNull(TypicalitySummary, run.typicality, "clustering_runs.typicality") : null;
    if (run && summary) clusterTypicality = typicalityView(summary, run.k)[clusterIndex ?? 0].bins.map((b) => b.count);
  }
  const out = [];
  for (const item of items) {
    const indices = fromJsonOrNull(IndexList, item.recordIndices, "access_request_uploads.record_indices");
    const upload = await db().upload.findUniqueOrThrow({
      where: { id: item.uploadId },
      select: {
        id: true,
        label: true,
        policy: true,
        envelope: true,
        signature: true,
        signaturePolicy: true,
        signatureVersions: true,
        signerGid: true,
        organisationId: true,
        keyVersions: true,
        chunkCount: true,
        totalBytes: true,
      },
    });
    const records = item.partialDecryption ? await releasedRecords(item.uploadId, indices) : [];
    out.push({
      uploadId: upload.id,
      label: upload.label,
      policy: upload.policy,
      organisationId: upload.organisationId,
      envelope: Buffer.from(upload.envelope).toString("base64"),
      partialDecryption: item.partialDecryption ? Buffer.from(item.partialDecryption).toString("base64") : null,
      missing: fromJsonOrNull(StringList, item.missing, "access_request_uploads.missing") ?? [],
      /** For a cluster request: the records of this upload in the cluster (the browser opens only these). */
      recordIndices: indices,
      clusterTypicality,
      /** What the hospital signed besides the envelope (lib/uploads/protocol uploadSignatureMessage). */
      source: {
        signature: Buffer.from(upload.signature).toString("base64"),
        policy: upload.signaturePolicy,
        versions: fromJson(KeyVersions, upload.signatureVersions, "uploads.signature_versions"),
        gid: upload.signerGid,
        chunkCount: upload.chunkCount,
        totalBytes: upload.totalBytes,
      },
      records,
    });
  }
  return out;
}

/**
 * Minimal release: a whole upload's records, or only the requested ones, each with its
 * inclusion proof against the envelope's records root (the CSP hashes every stored record to
 * build the tree, but serves only the requested ones).
 */
async function releasedRecords(uploadId: string, indices: number[] | null) {
  const wire = (r: { index: number; recordId: string; ct: Uint8Array }) => ({ index: r.index, id: r.recordId, ct: Buffer.from(r.ct).toString("base64") });
  // Records of an upload still arriving are stored chunk by chunk but are not data yet.
  const stored = { uploadId, upload: { status: "STORED" as const } };
  if (indices === null) {
    const all = await db().recordCiphertext.findMany({ where: stored, orderBy: { index: "asc" }, select: { index: true, recordId: true, ct: true } });
    return all.map((r) => ({ ...wire(r), proof: null }));
  }
  // The tree from the leaf hashes stored at upload; ciphertexts read for the requested records only.
  const leaves = await db().recordCiphertext.findMany({ where: stored, orderBy: { index: "asc" }, select: { index: true, leafHash: true } });
  const wanted = [...new Set(indices)].filter((i) => i < leaves.length).sort((a, b) => a - b);
  const proofs = merkleProofs(
    leaves.map((l) => l.leafHash),
    wanted,
  );
  const rows = await db().recordCiphertext.findMany({
    where: { ...stored, index: { in: wanted } },
    orderBy: { index: "asc" },
    select: { index: true, recordId: true, ct: true },
  });
  return rows.map((r, n) => ({
    ...wire(r),
    proof: { index: proofs[n].index, count: proofs[n].count, path: proofs[n].path.map((p) => Buffer.from(p).toString("base64")) },
  }));
}

/**
 * Requests and what the CSP decrypted for each, newest first, for the authority's admin page
 * (which adds the names and its own signature checks). Whether a partial decryption exists, not
 * the partial decryption.
 */
export async function listRequests() {
  await sweepExpiredGrants();
  const requests = await db().accessRequest.findMany({
    orderBy: { createdAt: "desc" },
    take: 200,
    include: { items: { select: { uploadId: true, partialDecryption: true, missing: true, decision: true } } },
  });
  return requests.map((r) => ({
    id: r.id,
    requesterId: r.requesterId,
    purpose: r.purpose,
    status: r.status,
    reason: r.reason,
    absPolicy: r.absPolicy,
    createdAt: r.createdAt,
    decidedAt: r.decidedAt,
    periodDays: r.periodDays,
    expiresAt: r.expiresAt,
    withdrawnAt: r.withdrawnAt,
    renewalRequestedAt: r.renewalRequestedAt,
    decision: requestDecision(r.items),
    uploads: r.items.map((i) => ({
      uploadId: i.uploadId,
      opened: Boolean(i.partialDecryption),
      missing: fromJsonOrNull(StringList, i.missing, "access_request_uploads.missing") ?? [],
    })),
  }));
}

/**
 * The CSP's own check, before it serves ciphertexts or runs a partial decryption: a grant past
 * its expiry, or withdrawn by its owner, is refused, and the refusal is audited in its log.
 */
async function assertGrantLive(
  request: { id: string; requesterId: string; expiresAt: Date | null; withdrawnAt: Date | null },
  refused: "ciphertexts" | "partial decryption",
) {
  const reason = request.withdrawnAt ? "withdrawn" : request.expiresAt && request.expiresAt.getTime() <= Date.now() ? "expired" : null;
  if (!reason) return;
  // the expiry itself is in the log before the refusal it causes
  if (reason === "expired") await sweepExpiredGrants();
  await db().$transaction((tx) =>
    appendCspAudit(tx, {
      actorId: request.requesterId,
      action: "GRANT_REFUSED",
      subjectType: "request",
      subjectId: request.id,
      data: {
        reason,
        refused,
        ...(reason === "expired" ? { expiredAt: request.expiresAt!.toISOString() } : { withdrawnAt: request.withdrawnAt!.toISOString() }),
      },
    }),
  );
  throw new AppError(
    "FORBIDDEN",
    reason === "withdrawn"
      ? "The hospital that owns these records withdrew this grant: the cloud no longer serves them."
      : `This grant expired on ${request.expiresAt!.toISOString().slice(0, 16).replace("T", " ")} UTC: the cloud no longer serves these records. Ask for a renewal or make a new request.`,
  );
}

/** The request if `organisationId` owns at least one upload it covers; otherwise the same answer as for no request. */
async function ownedRequest(tx: Tx, requestId: string, organisationId: string) {
  const request = await tx.accessRequest.findUnique({ where: { id: requestId }, include: { items: { select: { uploadId: true } } } });
  const owned = request ? await tx.upload.count({ where: { id: { in: request.items.map((i) => i.uploadId) }, organisationId } }) : 0;
  if (!request || owned === 0) throw new AppError("NOT_FOUND", "No request for your organisation's data has that id.");
  return request;
}

/** The owner ends a grant at once: from now the CSP serves nothing of the request and runs no partial decryption for it. */
export async function withdrawGrant({ requestId, organisationId, by, reason }: { requestId: string; organisationId: string; by: string; reason: string }) {
  return db().$transaction(async (tx) => {
    const request = await ownedRequest(tx, requestId, organisationId);
    if (request.withdrawnAt) return { withdrawnAt: request.withdrawnAt, already: true };
    const withdrawnAt = new Date();
    await tx.accessRequest.update({ where: { id: requestId }, data: { withdrawnAt, withdrawnBy: by, withdrawReason: reason } });
    await appendCspAudit(tx, { actorId: by, action: "GRANT_WITHDRAWN", subjectType: "request", subjectId: requestId, data: { organisationId, reason } });
    return { withdrawnAt, already: false };
  });
}

/** The owner renews a granted, not withdrawn request for its period, from now. */
export async function renewGrant({ requestId, organisationId, by }: { requestId: string; organisationId: string; by: string }) {
  return db().$transaction(async (tx) => {
    const request = await ownedRequest(tx, requestId, organisationId);
    if (request.status !== "READY") throw new AppError("INVALID_STATE", "Only a granted request can be renewed.");
    if (request.withdrawnAt) throw new AppError("INVALID_STATE", "This grant was withdrawn; the researcher must make a new request.");
    const expiresAt = new Date(Date.now() + request.periodDays * DAY_MS);
    await tx.accessRequest.update({ where: { id: requestId }, data: { expiresAt, renewalRequestedAt: null } });
    await appendCspAudit(tx, {
      actorId: by,
      action: "GRANT_RENEWED",
      subjectType: "request",
      subjectId: requestId,
      data: { organisationId, expiresAt: expiresAt.toISOString(), periodDays: request.periodDays },
    });
    return { expiresAt };
  });
}

/** The requester asks the owner for a renewal of a granted request. */
export async function askRenewal({ requestId, requesterId }: { requestId: string; requesterId: string }) {
  return db().$transaction(async (tx) => {
    const request = await tx.accessRequest.findUnique({ where: { id: requestId } });
    if (!request || request.requesterId !== requesterId) throw new AppError("NOT_FOUND", "No such request.");
    if (request.status !== "READY") throw new AppError("INVALID_STATE", "Only a granted request can be renewed.");
    if (request.withdrawnAt) throw new AppError("INVALID_STATE", "The hospital withdrew this grant; make a new request instead.");
    if (request.renewalRequestedAt) return { renewalRequestedAt: request.renewalRequestedAt };
    const renewalRequestedAt = new Date();
    await tx.accessRequest.update({ where: { id: requestId }, data: { renewalRequestedAt } });
    await appendCspAudit(tx, { actorId: requesterId, action: "GRANT_RENEWAL_ASKED", subjectType: "request", subjectId: requestId, data: {} });
    return { renewalRequestedAt };
  });
}

const grantFields = {
  id: true,
  requesterId: true,
  organisationId: true,
  purpose: true,
  status: true,
  targetType: true,
  createdAt: true,
  decidedAt: true,
  periodDays: true,
  expiresAt: true,
  withdrawnAt: true,
  withdrawReason: true,
  renewalRequestedAt: true,
  askedPeriodDays: true,
  termsAcceptedAt: true,
} as const;
const decisionFields = {
  decision: true,
  decisionReason: true,
  approvedBy: true,
  approvedAt: true,
  reviewedBy: true,
  reviewedAt: true,
  askedRecords: true,
} as const;

/** Requests covering the organisation's uploads, newest first, with only that organisation's uploads named. */
export async function requestsForOrganisation(organisationId: string) {
  await sweepExpiredGrants();
  const uploads = await db().upload.findMany({
    where: { organisationId },
    select: { id: true, label: true, recordCount: true, approverId: true, reviewerId: true },
  });
  const ids = uploads.map((u) => u.id);
  const requests = await db().accessRequest.findMany({
    where: { items: { some: { uploadId: { in: ids } } } },
    orderBy: { createdAt: "desc" },
    take: 200,
    select: { ...grantFields, items: { select: { uploadId: true, recordIndices: true, ...decisionFields } } },
  });
  return requests.map(({ items, ...r }) => ({
    ...r,
    decision: requestDecision(items),
    uploads: items
      .filter((i) => ids.includes(i.uploadId))
      .map(({ uploadId, recordIndices, ...d }) => {
        const u = uploads.find((x) => x.id === uploadId);
        return {
          uploadId,
          label: u?.label ?? "",
          records: Array.isArray(recordIndices) ? recordIndices.length : null,
          recordCount: u?.recordCount ?? 0,
          approverId: u?.approverId ?? null,
          reviewerId: u?.reviewerId ?? null,
          ...d,
        };
      }),
  }));
}

/** The requester's own requests and their grants, newest first. */
export async function myRequests(requesterId: string) {
  await sweepExpiredGrants();
  const requests = await db().accessRequest.findMany({
    where: { requesterId },
    orderBy: { createdAt: "desc" },
    take: 100,
    select: { ...grantFields, items: { select: { uploadId: true, recordIndices: true, decision: true, decisionReason: true, askedRecords: true } } },
  });
  return requests.map(({ items, ...r }) => ({
    ...r,
    decision: requestDecision(items),
    denialReasons: [...new Set(items.filter((i) => i.decision === "denied").map((i) => i.decisionReason ?? ""))].filter(Boolean),
    narrowed: r.askedPeriodDays !== null || items.some((i) => i.askedRecords !== null),
    narrowedTo: items
      .filter((i) => i.askedRecords !== null)
      .map((i) => ({ uploadId: i.uploadId, records: Array.isArray(i.recordIndices) ? i.recordIndices.length : 0, asked: i.askedRecords! })),
  }));
}
