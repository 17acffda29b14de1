"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { updateOrgSettings } from "@/lib/portal/organisation";
import { orgSettingsSchema } from "@/lib/validation/organisation";

/** The hospital's default for deciding requests (automatic or a named approver) and its terms of use. */
export const updateOrgSettingsAction = defineAction({ roles: ["HOSPITAL_STAFF"] }, orgSettingsSchema, (input, { user }) => updateOrgSettings(user, input));
