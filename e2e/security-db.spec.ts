// Issue #11 item 9, against the real e2e server: the app connected as the PostgreSQL superuser,
// and a superuser's rewrite of the audit ledger (trigger off, entry edited, tail re-hashed; or
// the last 5 entries deleted) left /admin/audit saying "intact". Now the server and the worker
// connect as the least-privilege app role, and the page compares the chain with the signed
// checkpoints kept outside the database. Since issue #12 each party's service has its own role
// (the portal medshare_authority, the CSP medshare_csp, the clustering worker medshare_clustering).
import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { entryHash, GENESIS_HASH } from "@/lib/ledger/canonical";
import { adminPage, createCatalogue } from "./fixtures/admin";
import { e2eAppDatabaseUrl, e2eDatabaseUrl } from "./fixtures/database";

test.describe.configure({ mode: "serial" });

/** The parties' roles (lib/db/roles.ts PARTY_ROLES). */
const PARTY_ROLES = { authority: "medshare_authority", csp: "medshare_csp", clustering: "medshare_clustering" };
/** The default attribute authorities' service roles (lib/aa/schema.ts aaRoleName of DEFAULT_AAS). */
const AA_ROLES = ["medshare_aa_ha1_service", "medshare_aa_nri_service"];

type Row = {
  seq: string;
  at: Date;
  actor_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  data: unknown;
  prev_hash: string;
  hash: string;
};

/** Runs `work` on one superuser connection, named so the role check below can tell it apart. */
async function asSuperuser<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: e2eDatabaseUrl(), application_name: "e2e-attacker" });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const ledgerRows = (c: pg.Client) => c.query<Row>(`SELECT * FROM ledger.audit_entries ORDER BY seq`).then((r) => r.rows);

/** What the attacker did: trigger off, `edit`, then every hash recomputed so the chain links up. */
async function rewriteLedger(edit: string) {
  await asSuperuser(async (c) => {
    await c.query("BEGIN");
    await c.query("ALTER TABLE ledger.audit_entries DISABLE TRIGGER USER");
    await c.query(edit);
    let prevHash = GENESIS_HASH;
    for (const r of await ledgerRows(c)) {
      const hash = entryHash(prevHash, {
        seq: BigInt(r.seq),
        at: r.at,
        actorId: r.actor_id,
        action: r.action,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        data: r.data,
      });
      await c.query(`UPDATE ledger.audit_entries SET prev_hash = $1, hash = $2 WHERE seq = $3`, [prevHash, hash, r.seq]);
      prevHash = hash;
    }
    await c.query("ALTER TABLE ledger.audit_entries ENABLE TRIGGER USER");
    await c.query("COMMIT");
  });
}

async function verifyOnPage(admin: Page) {
  await admin.goto("/admin/audit");
  await admin.getByRole("button", { name: "Verify the chain" }).click();
  return admin.getByTestId("ledger-report");
}

let admin: Page;
let original: Row[] = [];

test.beforeAll(async ({ browser }) => {
  admin = await adminPage(browser);
});

// Later journeys share this server and database: put the genuine ledger back.
test.afterAll(async () => {
  if (original.length === 0) return;
  await asSuperuser(async (c) => {
    await c.query("BEGIN");
    await c.query("ALTER TABLE ledger.audit_entries DISABLE TRIGGER USER");
    await c.query(`DELETE FROM ledger.audit_entries WHERE seq <= $1`, [original.at(-1)!.seq]);
    for (const r of original)
      await c.query(
        `INSERT INTO ledger.audit_entries (seq, at, actor_id, action, subject_type, subject_id, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [r.seq, r.at, r.actor_id, r.action, r.subject_type, r.subject_id, JSON.stringify(r.data), r.prev_hash, r.hash],
      );
    await c.query("ALTER TABLE ledger.audit_entries ENABLE TRIGGER USER");
    await c.query("COMMIT");
  });
  await expect(await verifyOnPage(admin)).toContainText("Chain intact");
});

test("each service connects as its own party's role, never as a superuser", async () => {
  await admin.goto("/admin/audit"); // the portal has a pooled connection open now, and the CSP too (its log is shown through its API)
  expect(new URL(e2eAppDatabaseUrl()).username).toBe(PARTY_ROLES.authority);
  const sessions = await asSuperuser((c) =>
    c
      .query<{ usename: string; application_name: string; rolsuper: boolean }>(
        `SELECT a.usename, a.application_name, r.rolsuper FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
       WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()`,
      )
      .then((r) => r.rows),
  );
  expect(
    sessions.filter((s) => s.rolsuper),
    JSON.stringify(sessions),
  ).toEqual([]);
  const roles = new Set(sessions.map((s) => s.usename));
  expect(roles.has(PARTY_ROLES.authority), JSON.stringify(sessions)).toBe(true);
  expect(roles.has(PARTY_ROLES.csp), JSON.stringify(sessions)).toBe(true);
  // The attribute authorities are services too, each with its own database and role (#13).
  const serviceRoles = [...Object.values(PARTY_ROLES), ...AA_ROLES] as string[];
  for (const role of roles) expect(serviceRoles).toContain(role);
});

test("a web server given a superuser's DATABASE_URL refuses to start", async () => {
  // A second server from the same build, on a port of its own, pointed at the superuser.
  const child = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", "3383"], {
    env: {
      ...process.env,
      DATABASE_URL: e2eDatabaseUrl(),
      NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
      NEXTAUTH_URL: "http://localhost:3383",
      MEDSHARE_KEK: randomBytes(32).toString("base64"),
      MEDSHARE_WORKER: "off",
      NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => (child.kill("SIGTERM"), resolve(null)), 60_000);
    child.on("exit", (c) => (clearTimeout(timer), resolve(c)));
  });
  expect(output).toContain("refusing to start");
  expect(output).toMatch(/connects as the PostgreSQL superuser/);
  expect(code).toBe(1);
});

test("the authority's role cannot rewrite the ledger", async () => {
  const client = new pg.Client({ connectionString: e2eAppDatabaseUrl() });
  await client.connect();
  try {
    await expect(client.query(`UPDATE ledger.audit_entries SET action = 'ABS_VERIFIED'`)).rejects.toThrow(/permission denied/);
    await expect(client.query(`ALTER TABLE ledger.audit_entries DISABLE TRIGGER USER`)).rejects.toThrow(/must be owner/);
  } finally {
    await client.end();
  }
});

test("a superuser's re-hashed rewrite shows as tampered, deleting the last 5 entries as a rollback", async () => {
  await createCatalogue(admin, ["dbr1", "dbr2", "dbr3", "dbr4", "dbr5"]); // entries to checkpoint
  await expect(await verifyOnPage(admin)).toContainText("Chain intact");
  await expect(admin.getByTestId("ledger-checkpoint")).toContainText("Latest signed head");
  original = await asSuperuser(ledgerRows);
  expect(original.length).toBeGreaterThan(6);

  // The attack from the issue: one entry edited, every hash after it recomputed.
  const victim = original[1];
  await rewriteLedger(`UPDATE ledger.audit_entries SET action = 'ABS_VERIFIED', data = '{"forged":true}' WHERE seq = ${Number(victim.seq)}`);
  let report = await verifyOnPage(admin);
  await expect(report).toContainText(/Tampered at entry #\d+/);
  await expect(report).not.toContainText("Chain intact");

  await asSuperuser((c) => c.query(`SET session_replication_role = replica; DELETE FROM ledger.audit_entries WHERE seq > ${original.length - 5}`));
  report = await verifyOnPage(admin);
  await expect(report).toContainText(`Rollback: entries deleted after #${original.length - 5}`);
});
