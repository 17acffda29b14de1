import "server-only";
import { redirect } from "next/navigation";
import { cache } from "react";
import type { Role } from "@/lib/generated/prisma/enums";
import { getSessionUser, roleHome, type SessionUser } from "./session";

/**
 * The signed-in user for this page render, read once per request: the root layout (for the
 * navigation) and the page both need it, and each read decrypts and re-encrypts the session
 * token and queries the database. React's `cache` is scoped to one server request, so a
 * revoked account still loses access at its next request.
 */
export const getPageUser = cache(getSessionUser);

/**
 * For pages: the approved user holding one of `roles`. Anyone else is sent where they belong:
 * signed-out people to /login, pending or rejected people to /pending, other roles home.
 */
export async function requirePageUser(roles: readonly Role[] | "any", from: string): Promise<SessionUser> {
  const user = await getPageUser();
  if (!user) redirect(`/login?next=${encodeURIComponent(from)}`);
  if (user.status !== "APPROVED") redirect("/pending");
  if (roles !== "any" && !roles.includes(user.role)) redirect(`${roleHome[user.role]}?denied=${encodeURIComponent(from)}`);
  return user;
}
