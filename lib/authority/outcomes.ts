import "server-only";
import { db } from "@/lib/db/client";
import { appendAudit } from "@/lib/ledger/append";
import { cspCall } from "@/lib/parties/csp-client";
import { REQUEST_SIGNATURE_TTL_MS } from "@/lib/requests/protocol";

export type Outcome = "decrypted" | "refused" | "failed";

/**
 * Records the outcome the requester's browser reports, with its audit entry. The first report
 * stands: a request that was decrypted is not later turned into "failed", or the reverse.
 */
export async function recordRequestOutcome(userId: string, input: { requestId: string; outcome: Outcome; detail?: string }) {
  // Only the requester reports on their request: the CSP answers "No such request." to anyone else.
  await cspCall("requests.get", { requestId: input.requestId }, { sub: userId });
  return db().$transaction(async (tx) => {
    const existing = await tx.requestOutcome.findUnique({ where: { requestId: input.requestId } });
    if (existing) return { recorded: false, outcome: existing.outcome as Outcome };
    await tx.requestOutcome.create({ data: { requestId: input.requestId, userId, outcome: input.outcome, detail: input.detail } });
    await appendAudit(tx, {
      actorId: userId,
      action: "REQUEST_OUTCOME",
      subjectType: "request",
      subjectId: input.requestId,
      data: { outcome: input.outcome, ...(input.detail ? { detail: input.detail } : {}) },
    });
    return { recorded: true, outcome: input.outcome };
  });
}

/** A partial decryption or record that failed verification in the requester's browser: a security event, never data. */
export async function recordVerificationFailure(userId: string, input: { requestId: string; uploadId: string; detail: string }) {
  await db().$transaction((tx) =>
    appendAudit(tx, {
      actorId: userId,
      action: "DECRYPTION_VERIFICATION_FAILED",
      subjectType: "request",
      subjectId: input.requestId,
      data: { uploadId: input.uploadId, detail: input.detail },
    }),
  );
}

export type RequestState = { label: string; tone: "ok" | "bad" | "wait" | "off"; completedAt: string | null; detail: string | null };

/**
 * What a request came to, in words, from the CSP's status and grant, the authority's signature
 * checks and the browser's report. Never "awaiting signature" forever: an unsigned request is
 * "failed" once its signing window has passed.
 */
export function requestState(
  r: { status: string; createdAt: Date; decidedAt: Date | null; expiresAt: Date | null; withdrawnAt: Date | null; decision?: string },
  outcome: { outcome: string; detail: string | null; completedAt: Date } | undefined,
  lastCheck: { ok: boolean; reason: string; at: Date } | undefined,
  now = Date.now(),
): RequestState {
  const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
  if (r.withdrawnAt) return { label: "withdrawn by the owner", tone: "off", completedAt: iso(outcome?.completedAt ?? r.decidedAt), detail: null };
  if (outcome)
    return { label: outcome.outcome, tone: outcome.outcome === "decrypted" ? "ok" : "bad", completedAt: iso(outcome.completedAt), detail: outcome.detail };
  if (r.decision === "denied") return { label: "denied by the hospital", tone: "bad", completedAt: iso(r.decidedAt), detail: null };
  if (r.decision === "pending")
    return { label: "awaiting the hospital's decision", tone: "wait", completedAt: null, detail: lastCheck?.ok ? "signature verified" : null };
  if (r.status === "READY") return { label: "partially decrypted (the browser has not reported)", tone: "wait", completedAt: iso(r.decidedAt), detail: null };
  if (r.status === "REJECTED") return { label: "failed", tone: "bad", completedAt: iso(r.decidedAt), detail: "rejected" };
  if (lastCheck && !lastCheck.ok) return { label: "failed", tone: "bad", completedAt: iso(lastCheck.at), detail: `signature refused: ${lastCheck.reason}` };
  if (now - r.createdAt.getTime() > REQUEST_SIGNATURE_TTL_MS)
    return {
      label: "failed",
      tone: "bad",
      completedAt: new Date(r.createdAt.getTime() + REQUEST_SIGNATURE_TTL_MS).toISOString(),
      detail: "not signed in time",
    };
  return { label: "awaiting signature", tone: "wait", completedAt: null, detail: null };
}
