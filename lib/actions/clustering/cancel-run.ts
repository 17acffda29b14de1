"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { cancelRun } from "@/lib/clustering/portal";
import { cancelRunSchema } from "@/lib/validation/clustering";

/** Cancels a queued run at once, a running one at its next iteration. */
export const cancelRunAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, cancelRunSchema, (input, { user }) =>
  cancelRun({ adminId: user.id, runId: input.runId }),
);
