"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { revokeAttribute } from "@/lib/authority/keys";
import { revokeAttributeSchema } from "@/lib/validation/authority";

export const revokeAttributeAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, revokeAttributeSchema, (input, { user }) =>
  revokeAttribute({ adminId: user.id, userId: input.userId, attributeId: input.attributeId, reason: input.reason }),
);
