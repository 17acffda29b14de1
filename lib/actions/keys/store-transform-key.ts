"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { storeTransformKey } from "@/lib/authority/transform";
import { ALL_ROLES } from "@/lib/auth/roles";
import { uploadTransformKeySchema } from "@/lib/validation/authority";

export const storeTransformKeyAction = defineAction({ roles: ALL_ROLES }, uploadTransformKeySchema, (input, { user }) =>
  storeTransformKey(user, Buffer.from(input.tk, "base64"), input.keyVersions),
);
