"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { grantAttributesNow } from "@/lib/authority/keys";
import { grantSchema } from "@/lib/validation/authority";

export const grantAttributesAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, grantSchema, async (input, { user }) => {
  await grantAttributesNow({ adminId: user.id, userId: input.userId, attributeIds: input.attributeIds });
  return { granted: input.attributeIds.length };
});
