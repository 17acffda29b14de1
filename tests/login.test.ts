import { describe, expect, it } from "vitest";
import { authenticate, MAX_FAILED_LOGINS } from "@/lib/auth/login";
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

  it(`locks the account after ${MAX_FAILED_LOGINS} failures, even for the right password`, async () => {
    const u = await makeUser("HOSPITAL_STAFF");
    const codes: string[] = [];
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) codes.push(await codeOf(authenticate(u.email, `nope-${i}`, "10.0.0.2")));
    expect(codes).toEqual(["UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED", "UNAUTHENTICATED", "LOCKED"]);
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.0.0.2"))).toBe("LOCKED");
    expect(await db().auditEntry.count({ where: { action: "ACCOUNT_LOCKED", subjectId: u.id } })).toBe(1);
    // once the lock expires the right password works again
    await db().user.update({ where: { id: u.id }, data: { lockedUntil: new Date(Date.now() - 1000) } });
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.0.0.2"))).toBe("OK");
  });

  it("rate-limits an address that keeps failing", async () => {
    for (let i = 0; i < 30; i++) await codeOf(authenticate(`ghost${i}@test.example`, "x", "10.9.9.9"));
    const u = await makeUser("RESEARCHER");
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.9.9.9"))).toBe("RATE_LIMITED");
    expect(await codeOf(authenticate(u.email, PASSWORD, "10.9.9.10"))).toBe("OK");
    expect(await verifyChain(db())).toMatchObject({ ok: true });
  }, 180_000);
});
