"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { AppError } from "@/lib/errors";
import { resubmitRegistration } from "@/lib/portal/registrations";
import { z } from "@/lib/validation/zod";

/** A signed-in, rejected applicant sends their registration again (never someone else's). */
export const resubmitRegistrationAction = defineAction({ public: true }, z.object({}).strict(), async (_input, { user }) => {
  if (!user) throw new AppError("UNAUTHENTICATED");
  if (user.status !== "REJECTED") throw new AppError("INVALID_STATE", "Only a rejected registration can be sent again.");
  return resubmitRegistration(user.id);
});
