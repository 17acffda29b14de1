import "server-only";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendCspAudit } from "@/lib/ledger/append";
import { IndexList, fromJsonOrNull } from "@/lib/db/json";

/**
 * Owner decisions (issue #15), at the CSP: an upload decided "by the hospital" leaves each
 * request for it pending until its named approver (and, when named, a second reviewer, a
 * different person) approve; either may deny, with a reason; the approver may narrow (fewer
 * records, a shorter period). The CSP checks who decides from the upload it stores, and
 * refuses to serve or partially decrypt while a decision is pending or after a denial.
 */

export type Decision = { requestId: string; decision: "approve" | "deny"; reason?: string; records?: number; periodDays?: number };

/** How the whole request stands: automatic (no owner decides), pending, approved (some uploads may be denied) or denied. */
export function requestDecision(items: Array<{ decision: string | null }>): "automatic" | "pending" | "approved" | "denied" {
  const decided = items.filter((i) => i.decision !== null);
  if (decided.length === 0) return "automatic";
  if (decided.some((i) => i.decision === "pending")) return "pending";
  return items.some((i) => i.decision !== "denied") ? "approved" : "denied";
}

/** The named approver or reviewer (`by`, of organisation `org`) decides the request's uploads they decide for. */
export async function decideRequest(org: string, by: string, input: Decision) {
  return db().$transaction(async (tx) => {
    // One decision at a time per request: two reviewers clicking together cannot both read "pending".
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`decision:${input.requestId}`}))`;
    const request = await tx.accessRequest.findUnique({ where: { id: input.requestId }, include: { items: true } });
    const uploads = request
      ? await tx.upload.findMany({
          where: { id: { in: request.items.map((i) => i.uploadId) }, organisationId: org },
          select: { id: true, approverId: true, reviewerId: true, recordCount: true },
        })
      : [];
    if (!request || uploads.length === 0) throw new AppError("NOT_FOUND", "No request for your organisation's data has that id.");
    const mine = request.items.filter((i) => {
      const u = uploads.find((x) => x.id === i.uploadId);
      return u && i.decision !== null && (u.approverId === by || u.reviewerId === by);
    });
    if (mine.length === 0) throw new AppError("FORBIDDEN", "Only the approver or the second reviewer named for these records may decide this request.");
    const open = mine.filter((i) => i.decision === "pending");
    if (open.length === 0) throw new AppError("INVALID_STATE", `This request was already decided (${mine[0].decision}).`);
    const now = new Date();
    let action: "REQUEST_DENIED" | "REQUEST_APPROVED_FIRST" | "REQUEST_REVIEWED" | "REQUEST_NARROWED" | "REQUEST_APPROVED" = "REQUEST_DENIED";
    const asApprover = (uploadId: string) => uploads.find((u) => u.id === uploadId)!.approverId === by;

    if (input.decision === "deny") {
      const reason = input.reason?.trim() ?? "";
      if (reason.length < 3)
        throw new AppError("VALIDATION", "Give the reason for the denial.", { reason: ["Give the reason for the denial (at least 3 characters)."] });
      for (const i of open)
        await tx.accessRequestUpload.update({
          where: { requestId_uploadId: { requestId: i.requestId, uploadId: i.uploadId } },
          data: {
            decision: "denied",
            decisionReason: reason,
            ...(asApprover(i.uploadId) ? { approvedBy: by, approvedAt: now } : { reviewedBy: by, reviewedAt: now }),
          },
        });
      await appendCspAudit(tx, {
        actorId: by,
        action: "REQUEST_DENIED",
        subjectType: "request",
        subjectId: request.id,
        data: { organisationId: org, uploads: open.map((i) => i.uploadId), reason },
      });
    } else {
      const narrowing = input.records !== undefined || input.periodDays !== undefined;
      if (narrowing && open.some((i) => !asApprover(i.uploadId)))
        throw new AppError("FORBIDDEN", "Only the approver narrows a request; the second reviewer approves or denies it.");
      if (input.periodDays !== undefined && input.periodDays > request.periodDays)
        throw new AppError("VALIDATION", `The period can only be shortened: ${request.periodDays} days were asked for.`, {
          periodDays: [`At most ${request.periodDays} days (asked).`],
        });
      const asked = (i: (typeof open)[number]) => {
        const indices = fromJsonOrNull(IndexList, i.recordIndices, "access_request_uploads.record_indices");
        return indices ?? Array.from({ length: uploads.find((u) => u.id === i.uploadId)!.recordCount }, (_, n) => n);
      };
      if (input.records !== undefined)
        for (const i of open) {
          const n = asked(i).length;
          if (input.records > n)
            throw new AppError("VALIDATION", `Narrowing cannot release more than was asked: ${n} records were asked for.`, {
              records: [`At most ${n} records (asked).`],
            });
        }
      const reviewerWaits: string[] = [];
      for (const i of open) {
        const u = uploads.find((x) => x.id === i.uploadId)!;
        const approver = u.approverId === by;
        if (approver ? i.approvedBy : i.reviewedBy) throw new AppError("INVALID_STATE", "You already approved this request; the other reviewer decides now.");
        const approvedBy = approver ? by : i.approvedBy;
        const reviewedBy = approver ? i.reviewedBy : by;
        const done = Boolean(approvedBy) && (!u.reviewerId || Boolean(reviewedBy));
        if (!done) reviewerWaits.push(i.uploadId);
        const fewer = input.records !== undefined && input.records < asked(i).length;
        await tx.accessRequestUpload.update({
          where: { requestId_uploadId: { requestId: i.requestId, uploadId: i.uploadId } },
          data: {
            ...(approver ? { approvedBy: by, approvedAt: now } : { reviewedBy: by, reviewedAt: now }),
            ...(done ? { decision: "approved" } : {}),
            ...(fewer ? { recordIndices: asked(i).slice(0, input.records), askedRecords: i.askedRecords ?? asked(i).length } : {}),
            ...(narrowing && input.reason?.trim() ? { decisionReason: input.reason.trim() } : {}),
          },
        });
      }
      if (input.periodDays !== undefined && input.periodDays < request.periodDays)
        await tx.accessRequest.update({
          where: { id: request.id },
          data: { periodDays: input.periodDays, askedPeriodDays: request.askedPeriodDays ?? request.periodDays },
        });
      action = reviewerWaits.length
        ? "REQUEST_APPROVED_FIRST"
        : open.some((i) => !asApprover(i.uploadId))
          ? "REQUEST_REVIEWED"
          : narrowing
            ? "REQUEST_NARROWED"
            : "REQUEST_APPROVED";
      await appendCspAudit(tx, {
        actorId: by,
        action,
        subjectType: "request",
        subjectId: request.id,
        data: {
          organisationId: org,
          uploads: open.map((i) => i.uploadId),
          ...(input.records !== undefined ? { records: input.records } : {}),
          ...(input.periodDays !== undefined ? { periodDays: input.periodDays } : {}),
          ...(reviewerWaits.length ? { awaitingReviewer: reviewerWaits } : {}),
        },
      });
    }
    const items = await tx.accessRequestUpload.findMany({ where: { requestId: request.id }, select: { decision: true, decisionReason: true } });
    const state = requestDecision(items);
    if (state === "denied") {
      const reasons = [...new Set(items.map((i) => i.decisionReason).filter(Boolean))].join("; ");
      await tx.accessRequest.update({ where: { id: request.id }, data: { status: "REJECTED", reason: `denied by the hospital: ${reasons}`, decidedAt: now } });
    }
    return { requestId: request.id, requesterId: request.requesterId, state, action, status: state === "denied" ? ("REJECTED" as const) : request.status };
  });
}

/**
 * The CSP's own gate before it serves ciphertexts or partially decrypts: a request with an
 * owner's decision pending, or denied for every upload, is refused (and the refusal audited).
 */
export async function assertDecided(request: { id: string; requesterId: string }, refused: "ciphertexts" | "partial decryption") {
  const items = await db().accessRequestUpload.findMany({ where: { requestId: request.id }, select: { decision: true, decisionReason: true } });
  const state = requestDecision(items);
  if (state === "automatic" || state === "approved") return;
  await db().$transaction((tx) =>
    appendCspAudit(tx, {
      actorId: request.requesterId,
      action: "GRANT_REFUSED",
      subjectType: "request",
      subjectId: request.id,
      data: { reason: state, refused },
    }),
  );
  if (state === "pending")
    throw new AppError(
      "FORBIDDEN",
      "This request is awaiting the hospital's decision: the cloud serves nothing and decrypts nothing until the hospital approves it.",
    );
  const reasons = [...new Set(items.map((i) => i.decisionReason).filter(Boolean))].join("; ");
  throw new AppError("FORBIDDEN", `The hospital denied this request${reasons ? `: ${reasons}` : ""}. The cloud serves none of its records.`);
}
