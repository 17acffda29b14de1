"use server";

import { defineAction } from "@/lib/actions/safe-action";
import { setWrapPublicKey } from "@/lib/authority/keys";
import { ALL_ROLES } from "@/lib/auth/roles";
import { AppError } from "@/lib/errors";
import { wrapPublicKeySchema } from "@/lib/validation/authority";

/** A person's browser registers the public half of its key-wrapping pair (X25519). */
export const setWrapKeyAction = defineAction({ roles: ALL_ROLES }, wrapPublicKeySchema, async (input, { user }) => {
  const publicKey = Buffer.from(input.publicKey, "base64");
  if (publicKey.length !== 32) throw new AppError("VALIDATION", "A key-wrapping public key is 32 bytes.");
  return setWrapPublicKey(user.id, publicKey);
});
