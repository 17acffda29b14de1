import { cache } from "react";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { OrgKind, Role, UserStatus } from "@/lib/generated/prisma/enums";
import { readSessionClaims } from "./session-token";
import { sessionIsLive, touchSession } from "./sessions";

export type SessionUser = {
  id: string;
  email: string;
  name: string;
  gid: string;
  role: Role;
  status: UserStatus;
  decisionReason: string | null;
  organisation: { id: string; name: string; kind: OrgKind };
  /** The server-side session this request belongs to (portal.sessions). */
  sessionId: string;
  /** When and from where the key store was replaced in the last 30 days: shown to the person (KeyStoreNotice). */
  keyStoreReplaced: { at: Date; from: string | null } | null;
};

/** How long after a key store replacement the person keeps being told about it. */
const KEY_STORE_NOTICE_MS = 30 * 24 * 60 * 60_000;
const recent = (at: Date | null) => Boolean(at && Date.now() - at.getTime() < KEY_STORE_NOTICE_MS);

/**
 * The current user, re-read from the database on every request: one indexed query reads the
 * session row and its user. A revoked, expired or idle session, or a changed account (session
 * version bumped), loses access at once, whatever its cookie says. `cache` makes the layout and
 * the page of one render share that query.
 */
export const getSessionUser = cache(async (): Promise<SessionUser | null> => {
  const claims = await readSessionClaims();
  if (!claims) return null;
  const session = await db().session.findUnique({
    where: { id: claims.sid },
    select: {
      userId: true,
      lastSeenAt: true,
      expiresAt: true,
      revokedAt: true,
      user: {
        select: {
          id: true,
          email: true,
          name: true,
          gid: true,
          role: true,
          status: true,
          decisionReason: true,
          sessionVersion: true,
          keyStoreReplacedAt: true,
          keyStoreReplacedFrom: true,
          organisation: { select: { id: true, name: true, kind: true } },
        },
      },
    },
  });
  if (!session || session.userId !== claims.uid || !sessionIsLive(session)) return null;
  const { sessionVersion, keyStoreReplacedAt, keyStoreReplacedFrom, ...user } = session.user;
  if (sessionVersion !== claims.sv) return null;
  await touchSession(claims.sid, session.lastSeenAt);
  return {
    ...user,
    sessionId: claims.sid,
    keyStoreReplaced: recent(keyStoreReplacedAt) ? { at: keyStoreReplacedAt!, from: keyStoreReplacedFrom } : null,
  };
});

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
