"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { cspCall } from "@/lib/parties/csp-client";
import { deleteUploadSchema } from "@/lib/validation/notes";

/** Deletes one of the organisation's stored uploads: its ciphertexts go at the CSP (audited there). */
export const deleteUploadAction = defineAction({ roles: ["HOSPITAL_STAFF"] }, deleteUploadSchema, ({ uploadId }, { user }) =>
  cspCall("uploads.delete", { uploadId }, { org: user.organisation.id, sub: user.id }),
);
