import "server-only";
import { db } from "@/lib/db/client";
import { appendCspAudit } from "@/lib/ledger/append";

/**
 * Writes GRANT_EXPIRED to the CSP's log for every live grant whose expiry has passed, once per
 * expiry (a renewal's new expiry is logged again when it passes). A grant is live when its
 * request verified (READY), was not withdrawn, and no owner's decision is pending or denied it
 * for every upload. Run lazily, like the expired uploads' sweep: before every listing of requests
 * and before the CSP refuses an expired grant; cheap when there is nothing to do.
 */
export async function sweepExpiredGrants(): Promise<number> {
  return db().$transaction(async (tx) => {
    const expired = await tx.$queryRaw<Array<{ id: string; requester_id: string; expires_at: Date; period_days: number }>>`
      UPDATE csp.access_requests r
         SET expiry_logged_for = r.expires_at
       WHERE r.status = 'READY'
         AND r.withdrawn_at IS NULL
         AND r.expires_at <= now()
         AND r.expiry_logged_for IS DISTINCT FROM r.expires_at
         AND NOT EXISTS (SELECT 1 FROM csp.access_request_uploads i WHERE i.request_id = r.id AND i.decision = 'pending')
         AND EXISTS (SELECT 1 FROM csp.access_request_uploads i WHERE i.request_id = r.id AND i.decision IS DISTINCT FROM 'denied')
      RETURNING r.id::text, r.requester_id::text, r.expires_at, r.period_days`;
    for (const grant of expired)
      await appendCspAudit(tx, {
        actorId: null,
        action: "GRANT_EXPIRED",
        subjectType: "request",
        subjectId: grant.id,
        data: { requesterId: grant.requester_id, expiredAt: grant.expires_at.toISOString(), periodDays: grant.period_days },
      });
    return expired.length;
  });
}
