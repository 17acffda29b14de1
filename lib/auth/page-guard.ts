import "server-only";
import { redirect } from "next/navigation";
import { isDatabaseUnreachable, noteDatabaseReachable, noteDatabaseUnreachable } from "@/lib/db/outage";
import type { Role } from "@/lib/generated/prisma/enums";
import { getSessionUser, roleHome, type SessionUser } from "./session";

/**
 * The signed-in user for a page, or null; an unreachable database sends the browser to
 * /unavailable (logged once per outage) instead of reading as "not signed in" or a stack trace.
 * The root layout passes `whenUnreachable: "null"` (it also wraps /unavailable itself).
 */
export async function pageSessionUser(whenUnreachable: "redirect" | "null" = "redirect"): Promise<SessionUser | null> {
  try {
    const user = await getSessionUser();
    noteDatabaseReachable();
    return user;
  } catch (error) {
    if (!isDatabaseUnreachable(error)) throw error;
    noteDatabaseUnreachable();
    if (whenUnreachable === "null") return null;
    redirect("/unavailable");
  }
}

/**
 * For pages: the approved user holding one of `roles`. Anyone else is sent where they belong:
 * signed-out people to /login, pending or rejected people to /pending, other roles home.
 */
export async function requirePageUser(roles: readonly Role[] | "any", from: string): Promise<SessionUser> {
  const user = await pageSessionUser();
  if (!user) redirect(`/login?next=${encodeURIComponent(from)}`);
  if (user.status !== "APPROVED") redirect("/pending");
  if (roles !== "any" && !roles.includes(user.role)) redirect(`${roleHome[user.role]}?denied=${encodeURIComponent(from)}`);
  return user;
}
