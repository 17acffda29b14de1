"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { savePolicyTemplate } from "@/lib/portal/policy-templates";
import { policyTemplateSchema } from "@/lib/validation/upload";

/** Saves (or replaces) a named policy for the hospital; the policy must parse and name known attributes. */
export const savePolicyTemplateAction = defineAction({ roles: ["HOSPITAL_STAFF"] }, policyTemplateSchema, (input, { user }) => savePolicyTemplate(user, input));
