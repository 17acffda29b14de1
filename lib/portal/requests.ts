import "server-only";
import { randomUUID } from "node:crypto";
import type { SessionUser } from "@/lib/auth/session";
import { verifyRequestSignature } from "@/lib/authority/requests";
import { releaseTransformKey } from "@/lib/authority/transform";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";
import { cspCall } from "@/lib/parties/csp-client";
import { tokenHash } from "@/lib/requests/protocol";
import { clusterMembers } from "@/lib/clustering/portal";
import { termsDigest, termsOf } from "./organisation";

/** The digest of the terms of use the researcher accepted: those of the organisations owning the requested uploads. */
async function acceptedTerms(uploadIds: string[] | undefined, cluster: { runId: string; cluster: number } | undefined) {
  const ids = new Set(cluster ? (await clusterMembers(cluster.runId, cluster.cluster)).map((m) => m.uploadId) : (uploadIds ?? []));
  const datasets = await cspCall("datasets.list", {});
  const orgs = [...new Set(datasets.filter((d) => ids.has(d.id)).map((d) => d.organisationId))];
  return termsDigest((await termsOf(orgs)).map((t) => `${t.organisation}\n${t.terms}`));
}

/**
 * The CSP records the request and answers with its access token. The portal picks the request's
 * id, so the token it signs for the call is scoped to that one request.
 */
export async function openRequest(
  user: SessionUser,
  input: { uploadIds?: string[]; cluster?: { runId: string; cluster: number }; purpose: string; periodDays?: number; acceptTerms?: true },
) {
  const acting = { org: user.organisation.id, sub: user.id };
  const requestId = randomUUID();
  const terms = input.acceptTerms ? await acceptedTerms(input.uploadIds, input.cluster) : undefined;
  if (input.cluster) {
    // A cluster of a finished clustering run: the records (per upload) the CSP labelled with it.
    const members = await clusterMembers(input.cluster.runId, input.cluster.cluster);
    if (members.length === 0) throw new AppError("NOT_FOUND", "That cluster is empty.");
    const indices: Record<string, number[]> = {};
    for (const m of members) (indices[m.uploadId] ??= []).push(m.recordIndex);
    return cspCall(
      "requests.create",
      {
        requestId,
        purpose: input.purpose,
        periodDays: input.periodDays,
        uploadIds: Object.keys(indices),
        cluster: { ...input.cluster, indices },
        termsDigest: terms,
      },
      acting,
    );
  }
  return cspCall(
    "requests.create",
    { requestId, purpose: input.purpose, periodDays: input.periodDays, uploadIds: input.uploadIds ?? [], termsDigest: terms },
    acting,
  );
}

/**
 * The researcher submits the signed request. Order matters: the token must be theirs (CSP),
 * the authority verifies the signature (and records why not), only then does it release the
 * transform key to the CSP, which computes the partial decryptions.
 */
export async function submitRequestSignature(
  user: SessionUser,
  input: { requestId: string; token: string; signature: Uint8Array; signatureVersions: Record<string, number>; signedAt: string },
) {
  const request = await cspCall("requests.forToken", { requestId: input.requestId, token: input.token }, { sub: user.id });
  const verdict = await verifyRequestSignature({
    statement: {
      requestId: request.id,
      targetType: request.targetType,
      targetId: request.targetId,
      nonce: request.nonce,
      issuedAt: request.createdAt.toISOString(),
      tokenHash: tokenHash(input.token),
      signedAt: input.signedAt,
    },
    policy: request.absPolicy,
    user,
    signature: input.signature,
    signatureVersions: input.signatureVersions,
    // A request waiting for its hospital stays AWAITING_SIGNATURE: a second signature for it is a replay too.
    alreadyAnswered: request.status !== "AWAITING_SIGNATURE" || (await db().absVerification.count({ where: { requestId: request.id, ok: true } })) > 0,
  });
  if (!verdict.ok && verdict.locked) throw new AppError("RATE_LIMITED", `The authority refused the request: ${verdict.reason}.`);
  if (!verdict.ok) throw new AppError("FORBIDDEN", `The authority refused the request: ${verdict.reason}.`);
  // A hospital decides this request: the signature stands, and the partial decryption waits for its approval.
  if (request.decision === "pending") return [];
  return partiallyDecrypt({ requesterId: user.id, requestId: request.id });
}

/**
 * After a verified signature (and the owners' approval, where they decide): the authority
 * releases the requester's transform key to the CSP, which computes the partial decryptions
 * (refusing by itself while a decision is pending), and the authority audits what it let open.
 */
export async function partiallyDecrypt({ requesterId, requestId }: { requesterId: string; requestId: string }) {
  const { layers } = await releaseTransformKey(requesterId);
  const answer = await cspCall("requests.partialDecrypt", { requestId, layers }, { sub: requesterId });
  // The authority's own record of what it let the CSP decrypt: which uploads, how many records and their digest.
  await db().$transaction((tx) =>
    appendAudit(tx, {
      actorId: requesterId,
      action: "PARTIAL_DECRYPTION",
      subjectType: "request",
      subjectId: requestId,
      data: { opened: answer.uploads.filter((u) => u.opened).map((u) => u.uploadId), records: answer.released.count, recordsDigest: answer.released.digest },
    }),
  );
  return answer.uploads;
}
