import "server-only";
import type { SessionUser } from "@/lib/auth/session";
import { requestState } from "@/lib/authority/outcomes";
import { db } from "@/lib/db/client";
import { appendAudit } from "@/lib/ledger/append";
import { cspCall } from "@/lib/parties/csp-client";

/**
 * Grants seen by their owners and their requesters. The CSP stores each grant's expiry and
 * withdrawal and enforces them itself; the portal lists, and relays the owner's and the
 * requester's decisions with its own audit entries.
 */

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Requests for the hospital's records, with who asked, the outcome and the grant's end. */
export async function requestsForHospital(user: SessionUser) {
  const requests = await cspCall("requests.forOrganisation", {}, { org: user.organisation.id });
  const ids = requests.map((r) => r.id);
  const deciders = requests
    .flatMap((r) => r.uploads.flatMap((u) => [u.approverId, u.reviewerId, u.approvedBy, u.reviewedBy]))
    .filter((x): x is string => Boolean(x));
  const [users, outcomes, checks] = await Promise.all([
    db().user.findMany({
      where: { id: { in: [...new Set([...requests.map((r) => r.requesterId), ...deciders])] } },
      select: { id: true, name: true, organisation: { select: { name: true } } },
    }),
    db().requestOutcome.findMany({ where: { requestId: { in: ids } } }),
    db().absVerification.findMany({ where: { requestId: { in: ids } }, orderBy: { at: "asc" } }),
  ]);
  return requests.map((r) => {
    const who = users.find((u) => u.id === r.requesterId);
    return {
      id: r.id,
      requester: who ? `${who.name} (${who.organisation.name})` : "unknown",
      purpose: r.purpose,
      status: r.status,
      createdAt: r.createdAt.toISOString(),
      periodDays: r.periodDays,
      expiresAt: iso(r.expiresAt),
      expired: r.status === "READY" && r.expiresAt !== null && r.expiresAt.getTime() <= Date.now(),
      withdrawnAt: iso(r.withdrawnAt),
      withdrawReason: r.withdrawReason,
      renewalRequestedAt: iso(r.renewalRequestedAt),
      uploads: r.uploads.map((u) => ({ uploadId: u.uploadId, label: u.label, records: u.records, recordCount: u.recordCount })),
      decision: r.decision,
      askedPeriodDays: r.askedPeriodDays,
      termsAcceptedAt: iso(r.termsAcceptedAt),
      /** Per upload the hospital decides: who decides, what they decided, and whether this user may decide now. */
      decisions: r.uploads
        .filter((u) => u.decision !== null)
        .map((u) => {
          const name = (id: string | null) => (id ? (users.find((x) => x.id === id)?.name ?? "unknown") : null);
          const pending = u.decision === "pending";
          const role = u.approverId === user.id ? ("approver" as const) : u.reviewerId === user.id ? ("reviewer" as const) : null;
          return {
            uploadId: u.uploadId,
            label: u.label,
            decision: u.decision as "pending" | "approved" | "denied",
            reason: u.decisionReason,
            approver: name(u.approverId),
            reviewer: name(u.reviewerId),
            approvedBy: name(u.approvedBy),
            reviewedBy: name(u.reviewedBy),
            askedRecords: u.askedRecords,
            asked: u.records ?? u.recordCount,
            /** This user may decide now: named for it, and not yet approved by them. */
            mine: pending && role !== null && !(role === "approver" ? u.approvedBy : u.reviewedBy),
            role,
          };
        }),
      state: requestState(
        r,
        outcomes.find((o) => o.requestId === r.id),
        checks.filter((c) => c.requestId === r.id).at(-1),
      ),
    };
  });
}
export type HospitalRequest = Awaited<ReturnType<typeof requestsForHospital>>[number];

/** The researcher's own requests with their grants (for renewals). */
export async function myGrants(user: SessionUser) {
  const requests = await cspCall("requests.mine", {}, { sub: user.id });
  const outcomes = await db().requestOutcome.findMany({ where: { requestId: { in: requests.map((r) => r.id) } } });
  return requests.map((r) => ({
    id: r.id,
    purpose: r.purpose,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    periodDays: r.periodDays,
    expiresAt: iso(r.expiresAt),
    expired: r.expiresAt !== null && r.expiresAt.getTime() <= Date.now(),
    withdrawnAt: iso(r.withdrawnAt),
    renewalRequestedAt: iso(r.renewalRequestedAt),
    outcome: outcomes.find((o) => o.requestId === r.id)?.outcome ?? null,
    /** The owners' decision: automatic, pending, approved (possibly narrowed) or denied with their reasons. */
    decision: r.decision,
    denialReasons: r.denialReasons,
    narrowed: r.narrowed,
    narrowedTo: r.narrowedTo,
    askedPeriodDays: r.askedPeriodDays,
  }));
}
export type MyGrant = Awaited<ReturnType<typeof myGrants>>[number];

/** The owner withdraws a grant at once (the CSP checks the request covers the organisation's data). */
export async function withdrawGrant(user: SessionUser, input: { requestId: string; reason: string }) {
  const result = await cspCall("requests.withdraw", input, { org: user.organisation.id, sub: user.id });
  if (!result.already)
    await db().$transaction((tx) =>
      appendAudit(tx, {
        actorId: user.id,
        action: "GRANT_WITHDRAWN",
        subjectType: "request",
        subjectId: input.requestId,
        data: { organisationId: user.organisation.id, reason: input.reason },
      }),
    );
  return { withdrawnAt: result.withdrawnAt.toISOString() };
}

/** The owner renews a grant for its period from now. */
export async function renewGrant(user: SessionUser, requestId: string) {
  const { expiresAt } = await cspCall("requests.renew", { requestId }, { org: user.organisation.id, sub: user.id });
  await db().$transaction((tx) =>
    appendAudit(tx, {
      actorId: user.id,
      action: "GRANT_RENEWED",
      subjectType: "request",
      subjectId: requestId,
      data: { organisationId: user.organisation.id, expiresAt: expiresAt.toISOString() },
    }),
  );
  return { expiresAt: expiresAt.toISOString() };
}

/** The requester asks the owner to renew (the CSP records and audits it). */
export async function askRenewal(user: SessionUser, requestId: string) {
  const { renewalRequestedAt } = await cspCall("requests.askRenewal", { requestId }, { sub: user.id });
  return { renewalRequestedAt: renewalRequestedAt.toISOString() };
}
