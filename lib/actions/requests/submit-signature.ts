"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { submitRequestSignature } from "@/lib/portal/requests";
import { submitSignatureSchema } from "@/lib/validation/request";

/** The authority verifies the request's ABS; only then does the CSP partially decrypt. */
export const submitSignatureAction = defineAction({ roles: ["RESEARCHER"] }, submitSignatureSchema, (input, { user }) =>
  submitRequestSignature(user, { ...input, signature: Buffer.from(input.signature, "base64") }),
);
