"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { revokePerson } from "@/lib/authority/keys";
import { revokePersonSchema } from "@/lib/validation/authority";

export const revokePersonAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, revokePersonSchema, (input, { user }) =>
  revokePerson({ adminId: user.id, userId: input.userId, reason: input.reason }),
);
