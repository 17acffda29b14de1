"use server";

import { headers } from "next/headers";
import { defineAction } from "@/lib/actions/safe-action";
import { setWrapPublicKey } from "@/lib/authority/keys";
import { authenticate } from "@/lib/auth/login";
import { ALL_ROLES } from "@/lib/auth/roles";
import { AppError } from "@/lib/errors";
import { clientAddress } from "@/lib/http/client-address";
import { wrapPublicKeySchema } from "@/lib/validation/authority";

/**
 * A person's browser registers the public half of its key-wrapping pair (X25519); every current
 * attribute key is then issued to it. Whoever sets it receives the keys, so the session cookie is
 * not enough: the account password is checked again, every time, including the first set-up
 * (an account made by a script may already hold grants, so its first wrap key receives keys too).
 * The check goes through the sign-in limits, so a stolen cookie cannot guess the password here.
 */
export const setWrapKeyAction = defineAction({ roles: ALL_ROLES }, wrapPublicKeySchema, async (input, { user }) => {
  const publicKey = Buffer.from(input.publicKey, "base64");
  if (publicKey.length !== 32) throw new AppError("VALIDATION", "A key-wrapping public key is 32 bytes.");
  const address = clientAddress(await headers());
  try {
    await authenticate(user.email, input.password, address);
  } catch (error) {
    if (error instanceof AppError && error.code === "UNAUTHENTICATED")
      throw new AppError("FORBIDDEN", "That is not your account password. Nothing was changed.");
    throw error;
  }
  const { issued } = await setWrapPublicKey(user.id, publicKey, { sessionId: user.sessionId, address });
  return { issued };
});
