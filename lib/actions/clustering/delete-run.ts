"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { deleteRun } from "@/lib/clustering/portal";
import { deleteRunSchema } from "@/lib/validation/clustering";

/** Deletes a clustering run that no longer runs, with its labels and the authority's secrets of it. */
export const deleteRunAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, deleteRunSchema, ({ runId }, { user }) => deleteRun({ adminId: user.id, runId }));
