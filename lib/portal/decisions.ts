import "server-only";
import type { SessionUser } from "@/lib/auth/session";
import { db } from "@/lib/db/client";
import { appendAudit } from "@/lib/ledger/append";
import { cspCall } from "@/lib/parties/csp-client";
import { partiallyDecrypt } from "./requests";

/**
 * The hospital's approver (or second reviewer) decides a request for its records (issue #15).
 * The CSP checks that the caller is the person its upload names and records the decision with
 * its own audit entry; the authority audits the same decision in its log. Once every owner has
 * approved a request whose signature already verified, the authority lets the CSP do its part
 * of the decryption, so the researcher can download at once.
 */
export async function decideRequest(
  user: SessionUser,
  input: { requestId: string; decision: "approve" | "deny"; reason?: string; records?: number; periodDays?: number },
) {
  const result = await cspCall("requests.decide", input, { org: user.organisation.id, sub: user.id });
  // The same entry as the CSP's: first approval of two, approval, narrowed approval, second review or denial.
  const action = result.action;
  await db().$transaction((tx) =>
    appendAudit(tx, {
      actorId: user.id,
      action,
      subjectType: "request",
      subjectId: input.requestId,
      data: {
        organisationId: user.organisation.id,
        state: result.state,
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.records !== undefined ? { records: input.records } : {}),
        ...(input.periodDays !== undefined ? { periodDays: input.periodDays } : {}),
      },
    }),
  );
  let decrypted = false;
  if (result.state === "approved" && result.status === "AWAITING_SIGNATURE") {
    const verified = await db().absVerification.count({ where: { requestId: input.requestId, userId: result.requesterId, ok: true } });
    // Signed already: the partial decryption the approval released. Not yet signed: it runs when the signature verifies.
    if (verified > 0)
      decrypted = await partiallyDecrypt({ requesterId: result.requesterId, requestId: input.requestId }).then(
        () => true,
        // The approval stands; without the requester's transform key the CSP cannot help yet (they are told on /research).
        () => false,
      );
  }
  return { state: result.state, decrypted };
}
