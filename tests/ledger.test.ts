import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { appendAudit } from "@/lib/ledger/append";
import { canonicalJson, entryHash, GENESIS_HASH } from "@/lib/ledger/canonical";
import { verifyChain } from "@/lib/ledger/verify";
import { rawSql, withFreshDatabase } from "./helpers/db";

const database = withFreshDatabase();

async function appendMany(n: number) {
  for (let i = 0; i < n; i++)
    await db().$transaction((tx) => appendAudit(tx, { actorId: null, action: "LOGIN_FAILED", subjectType: "user", data: { i, note: "x" } }));
}

describe("canonical JSON", () => {
  it("sorts keys at every depth and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
  it("hash covers the previous hash", () => {
    const e = { seq: 1n, at: new Date(0), actorId: null, action: "A", subjectType: "s", subjectId: null, data: {} };
    expect(entryHash(GENESIS_HASH, e)).not.toBe(entryHash("f".repeat(64), e));
  });
});

describe("audit ledger", () => {
  it("chains appended entries and verifies them", async () => {
    await appendMany(5);
    const report = await verifyChain(db());
    expect(report).toMatchObject({ ok: true, entries: 5 });
  });

  it("keeps the chain intact under concurrent appends", async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        db().$transaction((tx) => appendAudit(tx, { actorId: null, action: "LOGIN_FAILED", subjectType: "user", data: { c: i } })),
      ),
    );
    expect(await verifyChain(db())).toMatchObject({ ok: true, entries: 13 });
  });

  it("does not write the entry when the transaction rolls back", async () => {
    await expect(
      db().$transaction(async (tx) => {
        await appendAudit(tx, { actorId: null, action: "LOGIN_FAILED", subjectType: "user", data: { doomed: true } });
        throw new Error("change failed");
      }),
    ).rejects.toThrow("change failed");
    expect(await db().auditEntry.count()).toBe(13);
  });

  it("refuses UPDATE, DELETE and TRUNCATE", async () => {
    await expect(rawSql(database.url(), `UPDATE ledger.audit_entries SET action = 'X' WHERE seq = 2`)).rejects.toThrow(/append-only/);
    await expect(rawSql(database.url(), `DELETE FROM ledger.audit_entries WHERE seq = 2`)).rejects.toThrow(/append-only/);
    await expect(rawSql(database.url(), `TRUNCATE ledger.audit_entries`)).rejects.toThrow(/append-only/);
    expect(await verifyChain(db())).toMatchObject({ ok: true, entries: 13 });
  });

  it("names the row edited by someone who bypassed the guard", async () => {
    // A superuser can switch triggers off for the session; the hash chain still catches it.
    await rawSql(database.url(), `SET session_replication_role = replica; UPDATE ledger.audit_entries SET data = '{"i":99}' WHERE seq = 3;`);
    const report = await verifyChain(db());
    expect(report).toMatchObject({ ok: false, brokenAt: "3", entries: 2 });
    if (!report.ok) expect(report.reason).toMatch(/entry 3 was altered/);
  });

  it("names the gap left by a deleted row", async () => {
    await rawSql(database.url(), `SET session_replication_role = replica; DELETE FROM ledger.audit_entries WHERE seq = 2;`);
    const report = await verifyChain(db());
    expect(report).toMatchObject({ ok: false, brokenAt: "3", entries: 1 });
    if (!report.ok) expect(report.reason).toMatch(/entry 2 is missing/);
  });
});
