"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { recordRequestOutcome } from "@/lib/authority/outcomes";
import { requestOutcomeSchema } from "@/lib/validation/request";

/**
 * The researcher's browser reports how the request ended: decrypted, refused (the browser's
 * verification failed, nothing shown) or failed. Only the requester, once per request.
 */
export const reportRequestOutcomeAction = defineAction({ roles: ["RESEARCHER"] }, requestOutcomeSchema, (input, { user }) =>
  recordRequestOutcome(user.id, input),
);
