"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { revokeAttribute } from "@/lib/authority/keys";
import { revokeAttributeSchema } from "@/lib/validation/authority";

export const revokeAttributeAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, revokeAttributeSchema, (input, { user }) =>
  revokeAttribute(user.id, input.userId, input.attributeId, input.reason),
);
