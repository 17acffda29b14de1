import { createHash } from "node:crypto";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";
import { dummyHash, verifyPassword } from "./password";

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MINUTES = 15;
/** Failed attempts from one client address per window before it is slowed down. */
export const RATE_LIMIT = { failures: 30, windowMinutes: 10 };

export type AuthenticatedUser = { id: string; email: string; name: string; role: string; sessionVersion: number };

/** The client address is stored hashed: enough to rate-limit, nothing to profile people with. */
function clientKey(address: string): string {
  return createHash("sha256").update(`medshare-login:${address}`).digest("hex").slice(0, 32);
}

/**
 * Checks a sign-in. Five wrong passwords in a row lock the account for 15 minutes; many
 * failures from one address are rate-limited. Every outcome is an audit entry written in the
 * same transaction as the counters it changes.
 */
export async function authenticate(emailRaw: string, password: string, address: string): Promise<AuthenticatedUser> {
  const email = emailRaw.trim().toLowerCase();
  const key = clientKey(address);
  const since = new Date(Date.now() - RATE_LIMIT.windowMinutes * 60_000);
  const recentFailures = await db().loginAttempt.count({ where: { clientKey: key, success: false, at: { gte: since } } });
  if (recentFailures >= RATE_LIMIT.failures) throw new AppError("RATE_LIMITED", "Too many failed sign-ins from this address. Wait 10 minutes and try again.");

  const user = await db().user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, role: true, status: true, passwordHash: true, failedLogins: true, lockedUntil: true, sessionVersion: true },
  });
  const now = new Date();
  if (user?.lockedUntil && user.lockedUntil > now) {
    const minutes = Math.ceil((user.lockedUntil.getTime() - now.getTime()) / 60_000);
    throw new AppError("LOCKED", `This account is locked after ${MAX_FAILED_LOGINS} failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}, or ask the authority to unlock it.`);
  }
  const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));

  if (!user || !valid) {
    const lockedNow = await db().$transaction(async (tx) => {
      await tx.loginAttempt.create({ data: { clientKey: key, success: false } });
      if (!user) {
        await appendAudit(tx, { actorId: null, action: "LOGIN_FAILED", subjectType: "user", data: { reason: "unknown-email" } });
        return false;
      }
      const failed = user.failedLogins + 1;
      const lock = failed >= MAX_FAILED_LOGINS;
      await tx.user.update({
        where: { id: user.id },
        data: { failedLogins: lock ? 0 : failed, lockedUntil: lock ? new Date(now.getTime() + LOCKOUT_MINUTES * 60_000) : null },
      });
      await appendAudit(tx, { actorId: user.id, action: lock ? "ACCOUNT_LOCKED" : "LOGIN_FAILED", subjectType: "user", subjectId: user.id, data: { failedAttempts: failed } });
      return lock;
    });
    if (lockedNow)
      throw new AppError("LOCKED", `Too many failed sign-ins: this account is now locked for ${LOCKOUT_MINUTES} minutes.`);
    throw new AppError("UNAUTHENTICATED", "Wrong e-mail or password.");
  }

  await db().$transaction(async (tx) => {
    await tx.loginAttempt.create({ data: { clientKey: key, success: true } });
    await tx.user.update({ where: { id: user.id }, data: { failedLogins: 0, lockedUntil: null } });
    await appendAudit(tx, { actorId: user.id, action: "LOGIN_SUCCEEDED", subjectType: "user", subjectId: user.id });
  });
  return { id: user.id, email: user.email, name: user.name, role: user.role, sessionVersion: user.sessionVersion };
}
