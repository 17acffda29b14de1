import { createHash, randomUUID } from "node:crypto";
import { db, type Tx } from "@/lib/db/client";

/**
 * Server-side sessions. The JWT only names a row in portal.sessions; the row decides whether the
 * session still counts, so sign-out, a replaced key store or a revocation end it at once, and a
 * stolen token that next-auth would happily re-issue from /api/auth/session is worth nothing.
 */
export const SESSION_LIMITS = {
  /** However active the person is, they sign in again after this. */
  absoluteMs: 12 * 60 * 60_000,
  /** Without a page load, action or API call for this long, the session ends. */
  idleMs: 30 * 60_000,
  /** last_seen_at is written at most this often: one cheap UPDATE a minute, not one per request. */
  touchEveryMs: 60_000,
} as const;

export function hashAddress(address: string): string {
  return createHash("sha256").update(`medshare-session:${address}`).digest("hex").slice(0, 32);
}

export async function createSession(userId: string, address: string): Promise<string> {
  const id = randomUUID();
  await db().session.create({
    data: { id, userId, addressHash: hashAddress(address), expiresAt: new Date(Date.now() + SESSION_LIMITS.absoluteMs) },
  });
  return id;
}

export type SessionState = { lastSeenAt: Date; expiresAt: Date; revokedAt: Date | null };

/** Whether a session row still counts at `now`: not revoked, within its lifetime, not idle. */
export function sessionIsLive(s: SessionState, now = new Date()): boolean {
  if (s.revokedAt) return false;
  if (s.expiresAt.getTime() <= now.getTime()) return false;
  return now.getTime() - s.lastSeenAt.getTime() < SESSION_LIMITS.idleMs;
}

/**
 * Records activity. Only requests that reach getSessionUser (pages, actions, API routes) get
 * here; next-auth's own /api/auth/session polling does not, so it cannot keep a session alive.
 */
export async function touchSession(id: string, lastSeenAt: Date, now = new Date()): Promise<void> {
  if (now.getTime() - lastSeenAt.getTime() < SESSION_LIMITS.touchEveryMs) return;
  await db().session.updateMany({ where: { id, revokedAt: null }, data: { lastSeenAt: now } });
}

export async function revokeSession(id: string): Promise<void> {
  await db().session.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
}

/** Ends every session of a person except `keep` (e.g. the one that just re-authenticated). */
export async function revokeOtherSessions(tx: Tx, userId: string, keep: string | null): Promise<number> {
  const ended = await tx.session.updateMany({
    where: { userId, revokedAt: null, ...(keep ? { id: { not: keep } } : {}) },
    data: { revokedAt: new Date() },
  });
  return ended.count;
}
