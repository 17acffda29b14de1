"use server";

import { z } from "zod";
import { defineAction } from "@/lib/actions/safe-action";
import { deletePolicyTemplate } from "@/lib/portal/policy-templates";

/** Deletes one of the hospital's templates, audited in the same transaction. */
export const deletePolicyTemplateAction = defineAction({ roles: ["HOSPITAL_STAFF"] }, z.object({ id: z.uuid() }), (input, { user }) =>
  deletePolicyTemplate(user, input.id),
);
