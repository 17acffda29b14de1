"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { recordVerificationFailure } from "@/lib/authority/outcomes";
import { cspCall } from "@/lib/parties/csp-client";
import { verificationFailureSchema } from "@/lib/validation/request";

/**
 * The researcher's browser reports a partial decryption or record that failed verification:
 * a security event for the authority, never data.
 */
export const reportVerificationFailureAction = defineAction({ roles: ["RESEARCHER"] }, verificationFailureSchema, async (input, { user }) => {
  // Only the requester reports on their request: the CSP answers "No such request." to anyone else.
  await cspCall("requests.get", { requestId: input.requestId }, { sub: user.id });
  await recordVerificationFailure(user.id, input);
  return { recorded: true };
});
