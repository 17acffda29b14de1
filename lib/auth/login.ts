import { createHash } from "node:crypto";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";
import { dummyHash, verifyPassword } from "./password";

/**
 * Sign-in limits. There is no account lockout: any lock a stranger can trigger with wrong
 * passwords is a lock of the owner. Instead three limits, each keyed so that it slows the one
 * guessing, not the owner:
 *
 * - per address: 30 failures in 10 minutes (any accounts) stop that address for the rest of the
 *   window. Addresses come from the gateway (lib/http/client-address.ts), never from headers a
 *   client can set.
 * - per address+account pair: after 5 failures in 15 minutes, that address waits before its next
 *   try on that account, doubling from 15 s up to 15 minutes. The owner signing in from another
 *   address is not affected; a success clears the pair.
 * - per account, across addresses (a guess spread over many addresses): after 100 failures in
 *   15 minutes, addresses that have not signed into this account in the last 30 days may try it
 *   once per 30 s. It only slows strangers; addresses the owner has used are exempt, so it never
 *   locks the owner out.
 *
 * Unknown e-mails are limited exactly like known ones, so the limits reveal nothing.
 */
export const LIMITS = {
  address: { failures: 30, windowMs: 10 * 60_000 },
  pair: { freeFailures: 5, windowMs: 15 * 60_000, firstWaitMs: 15_000, maxWaitMs: 15 * 60_000 },
  account: { failures: 100, windowMs: 15 * 60_000, strangerWaitMs: 30_000, knownAddressMs: 30 * 24 * 60 * 60_000 },
  /** Rows older than this are never read again and are pruned. */
  retentionMs: 30 * 24 * 60 * 60_000,
  failureRetentionMs: 60 * 60_000,
} as const;

/** Kept for callers of the old API: the number of failures before the pair backoff starts. */
export const MAX_FAILED_LOGINS = LIMITS.pair.freeFailures;

export type AuthenticatedUser = { id: string; email: string; name: string; role: string; sessionVersion: number };

/** Addresses and accounts are stored hashed: enough to rate-limit, nothing to profile people with. */
function keyOf(kind: "address" | "account", value: string): string {
  return createHash("sha256").update(`medshare-login:${kind}:${value}`).digest("hex").slice(0, 32);
}

/** The keys a sign-in attempt is stored under (exported for tests that age or seed attempts). */
export function attemptKeys(address: string, email: string): { clientKey: string; accountKey: string } {
  return { clientKey: keyOf("address", address), accountKey: keyOf("account", email.trim().toLowerCase()) };
}

/** How long an address must wait after `failures` failures on one account (0 = may try now). */
export function pairWaitMs(failures: number): number {
  const over = failures - LIMITS.pair.freeFailures;
  if (over < 0) return 0;
  return Math.min(LIMITS.pair.maxWaitMs, LIMITS.pair.firstWaitMs * 2 ** Math.min(over, 30));
}

function waitMessage(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  const when = seconds < 120 ? `${seconds} seconds` : `${Math.ceil(seconds / 60)} minutes`;
  return `Too many failed sign-ins for this account from your address. Try again in ${when}.`;
}

/** Throws RATE_LIMITED if this address may not try this account now. Reads only indexed rows. */
async function checkLimits(addressKey: string, accountKey: string, now: number): Promise<void> {
  const attempts = db().loginAttempt;
  const addressFailures = await attempts.count({ where: { clientKey: addressKey, success: false, at: { gte: new Date(now - LIMITS.address.windowMs) } } });
  if (addressFailures >= LIMITS.address.failures)
    throw new AppError("RATE_LIMITED", "Too many failed sign-ins from this address. Wait 10 minutes and try again.");

  const pair = await attempts.aggregate({
    where: { clientKey: addressKey, accountKey, success: false, at: { gte: new Date(now - LIMITS.pair.windowMs) } },
    _count: { _all: true },
    _max: { at: true },
  });
  const lastPairFailure = pair._max.at?.getTime() ?? 0;
  const pairWait = lastPairFailure + pairWaitMs(pair._count._all) - now;
  if (pairWait > 0) throw new AppError("RATE_LIMITED", waitMessage(pairWait));

  const accountFailures = await attempts.count({ where: { accountKey, success: false, at: { gte: new Date(now - LIMITS.account.windowMs) } } });
  if (accountFailures < LIMITS.account.failures) return;
  const known = await attempts.findFirst({
    where: { clientKey: addressKey, accountKey, success: true, at: { gte: new Date(now - LIMITS.account.knownAddressMs) } },
    select: { id: true },
  });
  const strangerWait = lastPairFailure + LIMITS.account.strangerWaitMs - now;
  if (!known && strangerWait > 0) throw new AppError("RATE_LIMITED", waitMessage(strangerWait));
}

/** Deletes a bounded batch of rows no limit reads any more, so the table cannot grow without end. */
async function pruneAttempts(now: number): Promise<void> {
  await db().$executeRaw`
    DELETE FROM "portal"."login_attempts" WHERE "id" IN (
      SELECT "id" FROM "portal"."login_attempts"
      WHERE "at" < ${new Date(now - LIMITS.retentionMs)} OR ("success" = false AND "at" < ${new Date(now - LIMITS.failureRetentionMs)})
      LIMIT 500)`;
}

/** An e-mail as typed into the sign-in form: printable, bounded (a NUL byte must not reach SQL). */
function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (!email || email.length > 200 || /[\u0000-\u001f\u007f]/.test(email)) throw new AppError("VALIDATION", "Enter a valid e-mail address.");
  return email;
}

/**
 * Checks a sign-in against the limits above, then the password. Every outcome is an audit
 * entry written in the same transaction as the attempt it records.
 */
export async function authenticate(emailRaw: string, password: string, address: string): Promise<AuthenticatedUser> {
  const email = normaliseEmail(emailRaw);
  const { clientKey: addressKey, accountKey } = attemptKeys(address, email);
  const now = Date.now();
  await checkLimits(addressKey, accountKey, now);

  const user = await db().user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, role: true, passwordHash: true, sessionVersion: true },
  });
  // Very long passwords are refused after the same work as wrong ones (no timing difference).
  const valid = (await verifyPassword(password.slice(0, 1024), user?.passwordHash ?? (await dummyHash()))) && password.length <= 1024;

  if (!user || !valid) {
    await db().$transaction(async (tx) => {
      await tx.loginAttempt.create({ data: { clientKey: addressKey, accountKey, success: false } });
      await appendAudit(tx, {
        actorId: user?.id ?? null,
        action: "LOGIN_FAILED",
        subjectType: "user",
        subjectId: user?.id,
        data: { reason: user ? "wrong-password" : "unknown-email" },
      });
    });
    await pruneAttempts(now);
    throw new AppError("UNAUTHENTICATED", "Wrong e-mail or password.");
  }

  await db().$transaction(async (tx) => {
    // A success clears this address's backoff on this account and marks the address as known.
    await tx.loginAttempt.deleteMany({ where: { clientKey: addressKey, accountKey, success: false } });
    await tx.loginAttempt.create({ data: { clientKey: addressKey, accountKey, success: true } });
    await appendAudit(tx, { actorId: user.id, action: "LOGIN_SUCCEEDED", subjectType: "user", subjectId: user.id });
  });
  return { id: user.id, email: user.email, name: user.name, role: user.role, sessionVersion: user.sessionVersion };
}
