import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { beforeAll, afterAll, inject } from "vitest";
import { runMigrations } from "@/lib/db/migrate";
import type { TestAa } from "./aa-service";

/**
 * Gives the calling test file its own freshly migrated database on the run's PostgreSQL and
 * points lib/db/client at it (each test file runs in its own module context), with the CSP's
 * API served over HTTP on it (./csp-service.ts).
 */
export function withFreshDatabase(): { url: () => string; aas: () => TestAa[] } {
  let url = "";
  let csp: { close(): Promise<void> } | null = null;
  let aaServices: { aas: TestAa[]; close(): Promise<void> } | null = null;
  beforeAll(async () => {
    url = await createEmptyDatabase();
    const name = new URL(url).pathname.slice(1);
    await runMigrations(url);
    process.env.DATABASE_URL = url;
    process.env.NEXTAUTH_SECRET ??= randomBytes(32).toString("base64url");
    process.env.MEDSHARE_KEK ??= randomBytes(32).toString("base64");
    // Ledger checkpoints of this database only (a shared file would see other files' databases as rollbacks).
    process.env.MEDSHARE_LEDGER_SIGNING_KEY ??= randomBytes(32).toString("hex");
    process.env.MEDSHARE_CSP_LOG_SIGNING_KEY ??= randomBytes(32).toString("hex");
    process.env.MEDSHARE_LEDGER_DIR = path.resolve(".data", "it-ledger", name);
    // The CSP's API over HTTP, for portal code that calls it (lib/parties/csp-client.ts).
    const { startCspService } = await import("./csp-service");
    csp = await startCspService();
    // The attribute authorities HA1 and NRI over HTTP, each on its own database (./aa-service.ts).
    const { startAaServices } = await import("./aa-service");
    aaServices = await startAaServices();
  });
  afterAll(async () => {
    await aaServices?.close();
    await csp?.close();
    const { db } = await import("@/lib/db/client");
    await db().$disconnect();
    if (process.env.MEDSHARE_LEDGER_DIR) rmSync(process.env.MEDSHARE_LEDGER_DIR, { recursive: true, force: true });
  });
  return { url: () => url, aas: () => aaServices?.aas ?? [] };
}

/** A new, empty database on the run's PostgreSQL (not migrated); its URL, as the superuser. */
export async function createEmptyDatabase(): Promise<string> {
  const admin = inject("adminDatabaseUrl");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  return admin.replace(/\/[^/?]+(\?.*)?$/, `/${name}`);
}

/** Runs raw SQL as the superuser on the test database (to bypass guards on purpose). */
export async function rawSql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query<T>(sql, params);
  } finally {
    await client.end();
  }
}
