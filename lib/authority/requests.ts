import "server-only";
import { absVerify, parsePolicy, policyAttributes, type AbsFailureReason } from "@/lib/abe";
import { db, type Tx } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { Role } from "@/lib/generated/prisma/enums";
import { appendAudit } from "@/lib/ledger/append";
import { cspCall } from "@/lib/parties/csp-client";
import { CLOCK_SKEW_MS, REQUEST_SIGNATURE_TTL_MS, requestSignatureMessage, type RequestStatement } from "@/lib/requests/protocol";
import { currentVersions, vksFor } from "./catalogue";
import { requestState } from "./outcomes";

const reasons: Record<AbsFailureReason, string> = {
  MALFORMED: "the signature is malformed or was tampered with",
  UNKNOWN_ATTRIBUTE: "the signature names attributes outside the request's policy",
  POLICY_MISMATCH: "the signature was made for another policy",
  BAD_SIGNATURE: "the signature does not verify: forged, tampered, or made for another request",
};

/** Rejected signature attempts allowed per request, and per person per hour, before further attempts are refused unchecked. */
export const ABS_ATTEMPTS = { perRequest: 5, perUserHour: 20 } as const;

export type VerifyInput = {
  statement: RequestStatement;
  policy: string;
  user: { id: string; gid: string };
  signature: Uint8Array;
  signatureVersions: Record<string, number>;
  /** Set when the request was already answered: a second signature for it is a replay. */
  alreadyAnswered: boolean;
};

/**
 * Module 4: the authority checks a researcher's attribute-based signature on a request before
 * it lets the CSP transform anything. Freshness (issued and signed within the window), no
 * replay, keys the person actually holds, and the signature itself. Every outcome is recorded
 * and audited in one transaction.
 */
export async function verifyRequestSignature(input: VerifyInput): Promise<{ ok: true } | { ok: false; reason: string; locked?: true }> {
  // One person's attempts run one at a time, so parallel guesses cannot slip past the cap.
  return db().$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`abs-attempts:${input.user.id}`}))`;
      const locked = await attemptsExhausted(tx, input.statement.requestId, input.user.id);
      if (locked) {
        await appendAudit(tx, {
          actorId: input.user.id,
          action: "ABS_LOCKED",
          subjectType: "request",
          subjectId: input.statement.requestId,
          data: { reason: locked },
        });
        return { ok: false as const, reason: locked, locked: true as const };
      }
      const reason = await verdictFor(input);
      await tx.absVerification.create({
        data: { requestId: input.statement.requestId, userId: input.user.id, ok: !reason, reason: reason ?? "verified", policy: input.policy },
      });
      await appendAudit(tx, {
        actorId: input.user.id,
        action: reason ? "ABS_REJECTED" : "ABS_VERIFIED",
        subjectType: "request",
        subjectId: input.statement.requestId,
        data: { policy: input.policy, ...(reason ? { reason } : {}) },
      });
      return reason ? { ok: false as const, reason } : { ok: true as const };
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
}

/** Why no more attempts are checked (too many rejected for this request, or by this person this hour), or null. */
async function attemptsExhausted(tx: Tx, requestId: string, userId: string): Promise<string | null> {
  const [forRequest, forUser] = await Promise.all([
    tx.absVerification.count({ where: { requestId, ok: false } }),
    tx.absVerification.count({ where: { userId, ok: false, at: { gt: new Date(Date.now() - 3600_000) } } }),
  ]);
  if (forRequest >= ABS_ATTEMPTS.perRequest) return `locked: this request had ${ABS_ATTEMPTS.perRequest} rejected signatures; start a new request`;
  if (forUser >= ABS_ATTEMPTS.perUserHour) return `locked: ${ABS_ATTEMPTS.perUserHour} rejected signatures in the last hour; try again later`;
  return null;
}

/** The reason the signature is refused, or null when it verifies. */
async function verdictFor(input: VerifyInput): Promise<string | null> {
  const now = Date.now();
  const issuedAt = Date.parse(input.statement.issuedAt);
  const signedAt = Date.parse(input.statement.signedAt);
  let reason: string | null = null;
  if (input.alreadyAnswered) reason = "replayed: this request was already answered";
  else if (!Number.isFinite(issuedAt) || !Number.isFinite(signedAt)) reason = "the signed times are malformed";
  else if (now - issuedAt > REQUEST_SIGNATURE_TTL_MS || now - signedAt > REQUEST_SIGNATURE_TTL_MS) reason = "expired: ask again and sign within 15 minutes";
  else if (signedAt > now + CLOCK_SKEW_MS || signedAt < issuedAt - CLOCK_SKEW_MS) reason = "the signing time is implausible";
  if (!reason) {
    // The signature hides which attributes were used, so it is checked against the CURRENT
    // key version of every attribute in the policy: keys of a revoked (rotated) version fail.
    const named = policyAttributes(parsePolicy(input.policy)).sort();
    const { versions } = await currentVersions(named);
    if (Object.keys(input.signatureVersions).sort().join() !== named.join()) reason = "wrong attributes: the signature does not cover the request's policy";
    else {
      const stale = named.filter((a) => versions[a] !== input.signatureVersions[a]);
      if (stale.length) reason = `wrong attributes: ${stale.join(", ")} was signed with a key version that is no longer valid`;
    }
  }
  if (!reason) {
    try {
      const vks = await vksFor(input.signatureVersions);
      const verdict = absVerify({
        message: requestSignatureMessage(input.statement),
        policy: input.policy,
        gid: input.user.gid,
        signature: input.signature,
        vks,
      });
      if (!verdict.ok) reason = reasons[verdict.reason];
    } catch {
      reason = "wrong attributes: unknown attribute or key version";
    }
  }
  return reason;
}

/**
 * Requests (the CSP's) and their verification history (the authority's), for the admin page.
 * The CSP lists every request to a token the portal signs only here, after its own admin check.
 */
export async function listRequestsForAdmin(admin: { role: Role }) {
  if (admin.role !== "AUTHORITY_ADMIN") throw new AppError("FORBIDDEN", "Only the authority's administrators see all requests.");
  const requests = await cspCall("requests.list", {});
  const [verifications, users, outcomes] = await Promise.all([
    db().absVerification.findMany({ where: { requestId: { in: requests.map((r) => r.id) } }, orderBy: { at: "asc" } }),
    db().user.findMany({
      where: { id: { in: [...new Set(requests.map((r) => r.requesterId))] } },
      select: { id: true, name: true, gid: true, organisation: { select: { name: true } } },
    }),
    db().requestOutcome.findMany({ where: { requestId: { in: requests.map((r) => r.id) } } }),
  ]);
  return requests.map(({ requesterId, createdAt, decidedAt, expiresAt, withdrawnAt, renewalRequestedAt, ...r }) => {
    const checks = verifications.filter((v) => v.requestId === r.id);
    return {
      ...r,
      requester: users.find((u) => u.id === requesterId),
      createdAt: createdAt.toISOString(),
      expiresAt: expiresAt?.toISOString() ?? null,
      withdrawnAt: withdrawnAt?.toISOString() ?? null,
      renewalRequestedAt: renewalRequestedAt?.toISOString() ?? null,
      state: requestState(
        { status: r.status, createdAt, decidedAt, expiresAt, withdrawnAt, decision: r.decision },
        outcomes.find((o) => o.requestId === r.id),
        checks.at(-1),
      ),
      verifications: checks.map((v) => ({ ok: v.ok, reason: v.reason, at: v.at.toISOString() })),
    };
  });
}
