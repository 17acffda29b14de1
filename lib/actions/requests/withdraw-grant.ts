"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { withdrawGrant } from "@/lib/portal/grants";
import { withdrawGrantSchema } from "@/lib/validation/request";

/** Hospital staff of an organisation whose records a request covers end its grant at once. */
export const withdrawGrantAction = defineAction({ roles: ["HOSPITAL_STAFF"] }, withdrawGrantSchema, (input, { user }) => withdrawGrant(user, input));
