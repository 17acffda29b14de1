"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { decideRegistration } from "@/lib/portal/registrations";
import { decisionSchema } from "@/lib/validation/registration";

/** Authority admins approve or reject a pending registration. */
export const decideRegistrationAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, decisionSchema, async (input, { user }) => {
  const result = await decideRegistration(user.id, input);
  return result;
});
