import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { createApprovedAccount } from "@/lib/portal/accounts";
import { issueSetupTokenIfNoAdmin, register } from "@/lib/portal/registrations";
import { withFreshDatabase } from "./helpers/db";

withFreshDatabase();

const admin = (tag: string, setupToken?: string) => ({
  name: `Admin ${tag}`,
  email: `${tag}@authority.example`,
  password: "a long enough password",
  gid: `admin.${tag}`,
  role: "AUTHORITY_ADMIN" as const,
  newOrganisationName: `Authority ${tag}`,
  setupToken,
});

async function messageOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (e) {
    if (e instanceof AppError) return e.message;
    throw e;
  }
}

describe("setup links (issue #11 item 1)", () => {
  it("expire after an hour", async () => {
    const token = await issueSetupTokenIfNoAdmin("expiring-token");
    expect(token).toBe("expiring-token");
    const row = await db().setupToken.findFirstOrThrow({ where: { usedAt: null } });
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBeGreaterThanOrEqual(59 * 60_000);
    await db().setupToken.update({ where: { id: row.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await messageOf(register(admin("late", "expiring-token")))).toMatch(/expired/);
  });

  it("are all consumed when an admin is created by admin:create, and none is printed afterwards", async () => {
    await issueSetupTokenIfNoAdmin("printed-at-first-start");
    await createApprovedAccount({
      organisation: "Auth Org",
      kind: "AUTHORITY",
      name: "Scripted",
      email: "scripted@authority.example",
      gid: "scripted",
      password: "a long enough password",
      role: "AUTHORITY_ADMIN",
      reason: "admin:create",
    });
    expect(await db().setupToken.count({ where: { usedAt: null } })).toBe(0);
    expect(await messageOf(register(admin("second", "printed-at-first-start")))).toMatch(/invalid or was already used/);
    expect(await issueSetupTokenIfNoAdmin("never-printed")).toBeNull();
    expect(await db().user.count({ where: { role: "AUTHORITY_ADMIN" } })).toBe(1);
  });

  it("are refused while an approved admin exists, even if unused", async () => {
    await db().setupToken.create({ data: { tokenHash: (await import("@/lib/portal/registrations")).hashSetupToken("sneaked-in") } });
    expect(await messageOf(register(admin("third", "sneaked-in")))).toMatch(/An authority admin already exists/);
  });
});
