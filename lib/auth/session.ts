import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { OrgKind, Role, UserStatus } from "@/lib/generated/prisma/enums";
import { readSessionClaims } from "./session-token";

export type SessionUser = {
  id: string;
  email: string;
  name: string;
  gid: string;
  role: Role;
  status: UserStatus;
  decisionReason: string | null;
  organisation: { id: string; name: string; kind: OrgKind };
};

/**
 * The current user, re-read from the database on every call: a revoked, rejected or changed
 * account (session version bumped) loses access at once, whatever its cookie says.
 */
export async function getSessionUser(): Promise<SessionUser | null> {
  const claims = await readSessionClaims();
  if (!claims) return null;
  const user = await db().user.findUnique({
    where: { id: claims.uid },
    select: {
      id: true,
      email: true,
      name: true,
      gid: true,
      role: true,
      status: true,
      decisionReason: true,
      sessionVersion: true,
      organisation: { select: { id: true, name: true, kind: true } },
    },
  });
  if (!user || user.sessionVersion !== claims.sv) return null;
  const { sessionVersion: _sv, ...rest } = user;
  return rest;
}

/** For server actions and route handlers: an approved user holding one of `roles`, or an AppError. */
export async function requireApproved(roles?: readonly Role[]): Promise<SessionUser> {
  const user = await getSessionUser();
  if (!user) throw new AppError("UNAUTHENTICATED");
  if (user.status !== "APPROVED") throw new AppError("NOT_APPROVED");
  if (roles && !roles.includes(user.role)) throw new AppError("FORBIDDEN");
  return user;
}

export const roleHome: Record<Role, string> = {
  HOSPITAL_STAFF: "/hospital",
  RESEARCHER: "/research",
  AUTHORITY_ADMIN: "/admin",
};
