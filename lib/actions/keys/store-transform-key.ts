"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { storeTransformKeys } from "@/lib/authority/transform";
import { ALL_ROLES } from "@/lib/auth/roles";
import { uploadTransformKeySchema } from "@/lib/validation/authority";

export const storeTransformKeyAction = defineAction({ roles: ALL_ROLES }, uploadTransformKeySchema, (input, { user }) =>
  storeTransformKeys(
    user,
    input.layers.map((l) => ({ tk: Buffer.from(l.tk, "base64"), keyVersions: l.keyVersions })),
  ),
);
