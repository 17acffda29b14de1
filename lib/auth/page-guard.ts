import "server-only";
import { redirect } from "next/navigation";
import type { Role } from "@/lib/generated/prisma/enums";
import { getSessionUser, roleHome, type SessionUser } from "./session";

/**
 * For pages: the approved user holding one of `roles`. Anyone else is sent where they belong:
 * signed-out people to /login, pending or rejected people to /pending, other roles home.
 */
export async function requirePageUser(roles: readonly Role[] | "any", from: string): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) redirect(`/login?next=${encodeURIComponent(from)}`);
  if (user.status !== "APPROVED") redirect("/pending");
  if (roles !== "any" && !roles.includes(user.role)) redirect(`${roleHome[user.role]}?denied=${encodeURIComponent(from)}`);
  return user;
}
