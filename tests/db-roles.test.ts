// Issue #11 item 9: the app connected as the superuser, and a superuser rewrote the ledger
// (trigger off, ABS_REJECTED edited into ABS_VERIFIED, tail re-hashed; or the last 5 entries
// deleted) while verification said "intact". Each attack is performed here against a real
// PostgreSQL: the app role is refused outright, the superuser's rewrite is caught by the signed
// checkpoints kept outside the database.
import { randomBytes } from "node:crypto";
import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import pg from "pg";
import PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { migrateAsOwner, provisionRoles } from "@/lib/db/roles";
import { assertNotSuperuser, SuperuserConnectionError } from "@/lib/db/superuser-check";
import { appendAudit, type AuditAction } from "@/lib/ledger/append";
import { entryHash, GENESIS_HASH } from "@/lib/ledger/canonical";
import { checkpointFile, checkpointNow } from "@/lib/ledger/checkpoint";
import { verifyChain, verifyLedger } from "@/lib/ledger/verify";
import { rawSql, withFreshDatabase } from "./helpers/db";

const database = withFreshDatabase();
// Roles are cluster-wide and the run's PostgreSQL is shared by all test files: unique names.
const suffix = randomBytes(4).toString("hex");
const owner = { name: `medshare_owner_${suffix}`, password: randomBytes(18).toString("base64url") };
const role = (party: string) => ({ name: `medshare_${party}_${suffix}`, password: randomBytes(18).toString("base64url") });
// "app" below is the authority's role: the one that writes the authority's ledger.
const parties = { authority: role("authority"), csp: role("csp"), clustering: role("clustering") };
const app = parties.authority;
const names = { authority: parties.authority.name, csp: parties.csp.name, clustering: parties.clustering.name };
let ownerUrl = "";
let appUrl = "";
let cspUrl = "";
let clusteringUrl = "";

beforeAll(async () => {
  // withFreshDatabase migrated as the superuser: exactly an install from before the roles existed,
  // whose server had also installed pg-boss (with a partition per queue) as the superuser.
  const boss = new PgBoss({ connectionString: database.url(), schema: "pgboss", supervise: false, schedule: false });
  await boss.start();
  await boss.createQueue("clustering", { name: "clustering", retryLimit: 0 });
  await boss.stop({ graceful: false, wait: true, close: true });
  let urls: Record<string, string>;
  ({ ownerUrl, urls } = await provisionRoles(database.url(), { owner, parties }));
  ({ authority: appUrl, csp: cspUrl, clustering: clusteringUrl } = urls);
  await migrateAsOwner(ownerUrl, names);
  // Everything the code under test does from here on runs as the authority's role.
  process.env.DATABASE_URL = appUrl;
});

afterAll(async () => {
  const { stopQueue } = await import("@/lib/clustering/queue");
  await stopQueue().catch(() => {});
});

const asApp = (sql: string) => rawSql(appUrl, sql);
const asSuperuser = (sql: string, params: unknown[] = []) => rawSql(database.url(), sql, params);

async function append(action: AuditAction, data: Record<string, string | number> = {}) {
  await db().$transaction((tx) => appendAudit(tx, { actorId: null, action, subjectType: "request", data }));
}

/** The superuser's rewrite: trigger off, entries edited, every hash from `fromSeq` recomputed. */
async function rewriteAsSuperuser(edit: string) {
  const client = new pg.Client({ connectionString: database.url() });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query("ALTER TABLE ledger.audit_entries DISABLE TRIGGER USER");
    await client.query(edit);
    const { rows } = await client.query(`SELECT seq, at, actor_id, action, subject_type, subject_id, data, hash FROM ledger.audit_entries ORDER BY seq`);
    let prevHash = GENESIS_HASH;
    for (const r of rows) {
      const fields = {
        seq: BigInt(r.seq),
        at: r.at,
        actorId: r.actor_id,
        action: r.action,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        data: r.data,
      };
      const hash = entryHash(prevHash, fields);
      await client.query(`UPDATE ledger.audit_entries SET prev_hash = $1, hash = $2 WHERE seq = $3`, [prevHash, hash, r.seq]);
      prevHash = hash;
    }
    await client.query("ALTER TABLE ledger.audit_entries ENABLE TRIGGER USER");
    await client.query("COMMIT");
  } finally {
    await client.end();
  }
}

describe("database roles", () => {
  it("the app role is no superuser and the server would refuse the superuser", async () => {
    const { rows } = await asApp("SELECT current_user AS who, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user");
    expect(rows[0]).toEqual({ who: app.name, rolsuper: false, rolcreaterole: false });
    await expect(assertNotSuperuser(appUrl)).resolves.toBeUndefined();
    await expect(assertNotSuperuser(database.url())).rejects.toThrow(SuperuserConnectionError);
  });

  it("the app role cannot read password hashes of database roles", async () => {
    await expect(asApp("SELECT rolpassword FROM pg_authid")).rejects.toThrow(/permission denied/);
  });

  it("the app role can append to and read the ledger, and nothing more", async () => {
    await append("ABS_REJECTED", { reason: "signature" });
    expect(await db().auditEntry.count()).toBe(1);
    await expect(asApp(`UPDATE ledger.audit_entries SET action = 'ABS_VERIFIED'`)).rejects.toThrow(/permission denied/);
    await expect(asApp(`DELETE FROM ledger.audit_entries`)).rejects.toThrow(/permission denied/);
    await expect(asApp(`TRUNCATE ledger.audit_entries`)).rejects.toThrow(/permission denied/);
    await expect(asApp(`ALTER TABLE ledger.audit_entries DISABLE TRIGGER USER`)).rejects.toThrow(/must be owner/);
    await expect(asApp(`SET session_replication_role = replica`)).rejects.toThrow(/permission denied/);
    await expect(asApp(`DROP TABLE ledger.audit_entries`)).rejects.toThrow(/must be owner/);
    await expect(asApp(`CREATE SCHEMA sneaky`)).rejects.toThrow(/permission denied/);
    expect((await asSuperuser(`SELECT action FROM ledger.audit_entries`)).rows).toEqual([{ action: "ABS_REJECTED" }]);
  });

  it("migrations ran as the owner role, which owns every table (superuser-made ones reassigned)", async () => {
    const { rows } = await asSuperuser(
      `SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname IN ('portal', 'authority', 'csp', 'ledger', 'pgboss', 'public')`,
    );
    expect(rows).toEqual([{ tableowner: owner.name }]);
    const roles = await asSuperuser(`SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1`, [owner.name]);
    expect(roles.rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
    // Running again (every start) changes nothing and keeps working.
    await provisionRoles(database.url(), { owner, parties });
    await expect(migrateAsOwner(ownerUrl, names)).resolves.toEqual([]);
  });

  it("a table a later migration adds is open to the app role without a new grant", async () => {
    await rawSql(ownerUrl, `CREATE TABLE portal.later_table (id int PRIMARY KEY)`);
    await asApp(`INSERT INTO portal.later_table VALUES (1)`);
    expect((await asApp(`SELECT id FROM portal.later_table`)).rows).toEqual([{ id: 1 }]);
    await rawSql(ownerUrl, `DROP TABLE portal.later_table`);
  });

  it("the job queue runs as the CSP's role (pg-boss installed by the owner)", async () => {
    const boss = new PgBoss({ connectionString: cspUrl, schema: "pgboss", supervise: false, schedule: false, migrate: false });
    await boss.start();
    try {
      const runId = randomBytes(8).toString("hex");
      expect(await boss.send("clustering", { runId })).toBeTruthy();
      expect((await rawSql(cspUrl, `SELECT 1 FROM pgboss.job WHERE data->>'runId' = $1`, [runId])).rowCount).toBe(1);
    } finally {
      await boss.stop({ graceful: false, wait: true, close: true });
    }
    // The authority's role has no business in the queue.
    await expect(asApp(`SELECT 1 FROM pgboss.job LIMIT 1`)).rejects.toThrow(/permission denied/);
  });

  it("each party's role is refused the other party's tables (issue #12)", async () => {
    const asCsp = (sql: string) => rawSql(cspUrl, sql);
    // The CSP's role: its own schema and log, and not one row of the authority's or the portal's.
    await expect(asCsp(`SELECT count(*) FROM csp.uploads`)).resolves.toBeTruthy();
    await expect(asCsp(`SELECT count(*) FROM csp_ledger.audit_entries`)).resolves.toBeTruthy();
    for (const table of [
      "authority.attribute_key_versions",
      "authority.ckks_keys",
      "authority.run_secrets",
      "authority.transform_keys",
      "portal.users",
      "portal.sessions",
      "ledger.audit_entries",
    ])
      await expect(asCsp(`SELECT * FROM ${table} LIMIT 1`), table).rejects.toThrow(/permission denied/);
    await expect(asCsp(`UPDATE csp_ledger.audit_entries SET action = 'X'`)).rejects.toThrow(/permission denied/);
    // The authority's role: not one row of the CSP's.
    for (const table of ["csp.uploads", "csp.record_ciphertexts", "csp.access_requests", "csp_ledger.audit_entries"])
      await expect(asApp(`SELECT * FROM ${table} LIMIT 1`), table).rejects.toThrow(/permission denied/);
    // The clustering worker's role: the CSP's tables and queue, not one row of the authority's (the key holder is the authority's service).
    const asClustering = (sql: string) => rawSql(clusteringUrl, sql);
    await expect(asClustering(`SELECT count(*) FROM csp.feature_ciphertexts`)).resolves.toBeTruthy();
    for (const table of [
      "authority.ckks_keys",
      "authority.run_seeds",
      "authority.run_secrets",
      "authority.run_traces",
      "authority.attribute_key_versions",
      "authority.transform_keys",
      "portal.users",
      "ledger.audit_entries",
    ])
      await expect(asClustering(`SELECT * FROM ${table} LIMIT 1`), table).rejects.toThrow(/permission denied/);
  });
});

describe("a superuser rewriting the ledger is caught by the signed checkpoints", () => {
  const resetCheckpoints = () => rmSync(checkpointFile(), { force: true });

  it("editing ABS_REJECTED into ABS_VERIFIED and re-hashing the tail: tampered", async () => {
    resetCheckpoints();
    for (let i = 0; i < 4; i++) await append("REQUEST_CREATED", { i });
    expect(await verifyLedger(db())).toMatchObject({ ok: true, entries: 5, checkpoint: { entries: 5 } });
    for (let i = 0; i < 3; i++) await append("PARTIAL_DECRYPTION", { i });
    await checkpointNow(db());

    await rewriteAsSuperuser(`UPDATE ledger.audit_entries SET action = 'ABS_VERIFIED' WHERE action = 'ABS_REJECTED'`);
    // The attack as it worked before: the re-hashed chain alone looks intact.
    expect(await verifyChain(db())).toMatchObject({ ok: true, entries: 8 });
    const report = await verifyLedger(db());
    expect(report).toMatchObject({ ok: false, problem: "tampered", brokenAt: "5" });
    if (!report.ok) expect(report.reason).toMatch(/tampered at entry #5: an entry from #1 to #5 was rewritten/);
  });

  it("deleting the last 5 entries: rollback", async () => {
    resetCheckpoints();
    for (let i = 0; i < 5; i++) await append("LOGIN_FAILED", { i });
    expect(await verifyLedger(db())).toMatchObject({ ok: true, entries: 13 });

    await asSuperuser(`SET session_replication_role = replica; DELETE FROM ledger.audit_entries WHERE seq > 8`);
    expect(await verifyChain(db())).toMatchObject({ ok: true, entries: 8 });
    const report = await verifyLedger(db());
    expect(report).toMatchObject({ ok: false, problem: "rollback", brokenAt: "8" });
    if (!report.ok) expect(report.reason).toMatch(/entries deleted after #8 \(rollback\).*counted 13 entries/);
  });

  it("a checkpoint line without a valid signature: reported as forged", async () => {
    resetCheckpoints();
    expect(await verifyLedger(db())).toMatchObject({ ok: true, entries: 8 });
    const genuine = readFileSync(checkpointFile(), "utf8").trim();
    const forged = { ...JSON.parse(genuine), entries: 8, head: "f".repeat(64), at: new Date().toISOString() };
    appendFileSync(checkpointFile(), `${JSON.stringify(forged)}\n`);
    const report = await verifyLedger(db());
    expect(report).toMatchObject({ ok: false, problem: "forged", brokenAt: "line 2" });
    // A well-formed line whose signature does not verify: just as forged.
    const other = { ...JSON.parse(genuine), sig: "ab".repeat(64) };
    writeFileSync(checkpointFile(), `${genuine}\n${JSON.stringify(other)}\n`);
    expect(await verifyLedger(db())).toMatchObject({ ok: false, problem: "forged", brokenAt: "line 2" });
  });
});
