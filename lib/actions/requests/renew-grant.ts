"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { renewGrant } from "@/lib/portal/grants";
import { requestIdSchema } from "@/lib/validation/request";

/** Hospital staff of an organisation whose records a request covers renew its grant for its period. */
export const renewGrantAction = defineAction({ roles: ["HOSPITAL_STAFF"] }, requestIdSchema, (input, { user }) => renewGrant(user, input.requestId));
