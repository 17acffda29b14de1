"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { cspCall } from "@/lib/parties/csp-client";
import { describeUploadSchema } from "@/lib/validation/notes";

/** Sets the note on one of the organisation's uploads (the CSP refuses another organisation's). */
export const describeUploadAction = defineAction({ roles: ["HOSPITAL_STAFF"] }, describeUploadSchema, ({ uploadId, note }, { user }) =>
  cspCall("uploads.describe", { uploadId, note }, { org: user.organisation.id, sub: user.id }),
);
