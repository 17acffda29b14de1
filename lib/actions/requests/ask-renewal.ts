"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { askRenewal } from "@/lib/portal/grants";
import { requestIdSchema } from "@/lib/validation/request";

/** The researcher asks the hospital to renew a grant. */
export const askRenewalAction = defineAction({ roles: ["RESEARCHER"] }, requestIdSchema, (input, { user }) => askRenewal(user, input.requestId));
