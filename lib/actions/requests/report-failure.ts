"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";
import { verificationFailureSchema } from "@/lib/validation/request";

/**
 * The researcher's browser reports a partial decryption or record that failed verification:
 * a security event for the authority, never data.
 */
export const reportVerificationFailureAction = defineAction({ roles: ["RESEARCHER"] }, verificationFailureSchema, async (input, { user }) => {
  const request = await db().accessRequest.findUnique({ where: { id: input.requestId }, select: { requesterId: true } });
  if (!request || request.requesterId !== user.id) throw new AppError("NOT_FOUND", "No such request.");
  await db().$transaction((tx) =>
    appendAudit(tx, { actorId: user.id, action: "DECRYPTION_VERIFICATION_FAILED", subjectType: "request", subjectId: input.requestId, data: { uploadId: input.uploadId, detail: input.detail } }),
  );
  return { recorded: true };
});
