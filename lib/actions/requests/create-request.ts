"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { openRequest } from "@/lib/portal/requests";
import { createRequestSchema } from "@/lib/validation/request";

/** The CSP answers with the requested ciphertexts' identifiers and an access token bound to the requester. */
export const createRequestAction = defineAction({ roles: ["RESEARCHER"] }, createRequestSchema, (input, { user }) => openRequest(user, input));
