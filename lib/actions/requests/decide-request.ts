"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { decideRequest } from "@/lib/portal/decisions";
import { decideRequestSchema } from "@/lib/validation/request";

/** The named approver or second reviewer of the uploading hospital approves, narrows or denies a request (the CSP checks who). */
export const decideRequestAction = defineAction({ roles: ["HOSPITAL_STAFF"] }, decideRequestSchema, (input, { user }) => decideRequest(user, input));
