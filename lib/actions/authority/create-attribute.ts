"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { createAttribute } from "@/lib/authority/catalogue";
import { createAttributeSchema } from "@/lib/validation/authority";

/** Creating an attribute runs its authority setup: (alpha_i, gamma_i) sealed, VK_i published. */
export const createAttributeAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, createAttributeSchema, (input, { user }) => createAttribute(user.id, input));
