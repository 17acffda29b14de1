import { describe, expect, it } from "vitest";
import { attemptKeys, authenticate, LIMITS, MAX_FAILED_LOGINS, pairWaitMs } from "@/lib/auth/login";
import { hashPassword, verifyPassword } from "@/lib/auth/password";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { verifyChain } from "@/lib/ledger/verify";
import { withFreshDatabase } from "./helpers/db";
import { makeUser } from "./helpers/users";

withFreshDatabase();

const PASSWORD = "correct horse battery";

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
}

describe("password hashing", () => {
  it("stores scrypt parameters with each salted hash", async () => {
    const a = await hashPassword("s3cret-password!");
    const b = await hashPassword("s3cret-password!");
    expect(a).toMatch(/^scrypt\$N=32768,r=8,p=1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("s3cret-password!", a)).toBe(true);
    expect(await verifyPassword("s3cret-password?", a)).toBe(false);
    expect(await verifyPassword("x", "garbage")).toBe(false);
  });
  it("honours the parameters stored in an older hash", async () => {
    const cheap = "scrypt$N=1024,r=8,p=1$" + Buffer.from("0123456789abcdef").toString("base64url") + "$";
    const { scryptSync } = await import("node:crypto");
    const key = scryptSync("pw-123456789", Buffer.from("0123456789abcdef"), 32, { N: 1024, r: 8, p: 1 });
    expect(await verifyPassword("pw-123456789", cheap + key.toString("base64url"))).toBe(true);
  });
});

describe("sign-in", () => {
  it("accepts the right password, refuses a wrong one, and audits both", async () => {
    const u = await makeUser("RESEARCHER");
    expect((await authenticate(u.email.toUpperCase(), PASSWORD, "10.0.0.1")).id).toBe(u.id);
    expect(await codeOf(authenticate(u.email, "wrong password", "10.0.0.1"))).toBe("UNAUTHENTICATED");
    expect(await codeOf(authenticate("nobody@test.example", PASSWORD, "10.0.0.1"))).toBe("UNAUTHENTICATED");
    const actions = (await db().auditEntry.findMany({ orderBy: { seq: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["LOGIN_SUCCEEDED", "LOGIN_FAILED", "LOGIN_FAILED"]);
    // no password and no e-mail address in the ledger
    const dump = JSON.stringify(await db().auditEntry.findMany({ select: { data: true } }));
    expect(dump).not.toContain("wrong password");
    expect(dump).not.toContain("nobody@test.example");
  });

  it("slows a guessing address on one account without locking the owner out", async () => {
    const u = await makeUser("HOSPITAL_STAFF");
    const codes: string[] = [];
    for (let i = 0; i < MAX_FAILED_LOGINS + 1; i++) codes.push(await codeOf(authenticate(u.email, `nope-${i}`, "10.0.0.2")));
    // five free failures, then the stranger's address waits, even with the right password
    expect(codes).toEqual(["UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]);
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.0.0.2"))).toBe("RATE_LIMITED");
    // the owner, from their own address, signs in at once
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.0.0.3"))).toBe("OK");
    // once the wait has passed the guessing address may try again
    const keys = attemptKeys("10.0.0.2", u.email);
    await db().loginAttempt.updateMany({ where: keys, data: { at: new Date(Date.now() - 60_000) } });
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.0.0.2"))).toBe("OK");
    expect(await db().auditEntry.count({ where: { action: "ACCOUNT_LOCKED" } })).toBe(0);
  });

  it("backs off exponentially per address and account, capped", () => {
    expect([4, 5, 6, 7, 20].map(pairWaitMs)).toEqual([0, 15_000, 30_000, 60_000, 15 * 60_000]);
  });

  it("a guess spread over many addresses slows strangers only; the owner's known address is exempt", async () => {
    const u = await makeUser("RESEARCHER");
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.1.0.1"))).toBe("OK"); // the owner's usual address
    const recent = new Date(Date.now() - 1000);
    await db().loginAttempt.createMany({
      data: Array.from({ length: LIMITS.account.failures }, (_, i) => ({ ...attemptKeys(`10.2.${i >> 8}.${i & 255}`, u.email), success: false, at: recent })),
    });
    // a stranger's fresh address: one failure, then it waits
    expect(await codeOf(authenticate(u.email, "wrong", "10.3.0.1"))).toBe("UNAUTHENTICATED");
    expect(await codeOf(authenticate(u.email, "wrong", "10.3.0.1"))).toBe("RATE_LIMITED");
    // the owner, from an address they used before, is not slowed
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.1.0.1"))).toBe("OK");
  });

  it("prunes attempts no limit reads any more", async () => {
    const old = new Date(Date.now() - 2 * 60 * 60_000);
    await db().loginAttempt.createMany({
      data: Array.from({ length: 20 }, () => ({ ...attemptKeys("10.4.0.1", "old@test.example"), success: false, at: old })),
    });
    await codeOf(authenticate("someone@test.example", "wrong", "10.4.0.2"));
    expect(await db().loginAttempt.count({ where: { at: { lt: new Date(Date.now() - 60 * 60_000) } } })).toBe(0);
  });

  it("refuses an e-mail with a NUL byte as bad input, not a server error", async () => {
    expect(await codeOf(authenticate("a\u0000b@test.example", PASSWORD, "10.5.0.1"))).toBe("VALIDATION");
  });

  it("rate-limits an address that keeps failing", async () => {
    for (let i = 0; i < 30; i++) await codeOf(authenticate(`ghost${i}@test.example`, "x", "10.9.9.9"));
    const u = await makeUser("RESEARCHER");
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.9.9.9"))).toBe("RATE_LIMITED");
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.9.9.10"))).toBe("OK");
    expect(await verifyChain(db())).toMatchObject({ ok: true });
  }, 180_000);
});
