"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { createAuthority } from "@/lib/authority/catalogue";
import { createAuthoritySchema } from "@/lib/validation/authority";

export const createAuthorityAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, createAuthoritySchema, (input, { user }) => createAuthority(user.id, input));
