import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { dataDir } from "@/lib/config/data-dir";
import { checkpointNow } from "@/lib/ledger/checkpoint";
import { ensureLocalSecrets, type LocalSecrets } from "@/lib/config/secrets";
import { startEmbeddedPostgres } from "./embedded";
import { APP_ROLE, migrateAsOwner, OWNER_ROLE, provisionRoles, roleOf } from "./roles";

export type Database = {
  /** The app role's URL (= appUrl): what the server, the worker and the scripts connect with. */
  url: string;
  appUrl: string;
  /** The owner role's URL: migrations only. */
  ownerUrl: string;
  embedded: boolean;
  stop: () => Promise<void>;
  secrets: LocalSecrets;
};

function runningEmbeddedPort(pgDir: string): number | null {
  const pidFile = path.join(pgDir, "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const [pid, , , port] = readFileSync(pidFile, "utf8").split("\n");
  try {
    process.kill(Number(pid), 0);
    return Number(port);
  } catch {
    return null; // stale pid file from a crash; PostgreSQL removes it on start
  }
}

/**
 * The embedded PostgreSQL in the data folder (started here, or reused if `npm start` already runs
 * it): its superuser is used once, to create the owner and app roles (lib/db/roles.ts).
 */
async function openEmbedded(dir: string, secrets: LocalSecrets, log: (m: string) => void) {
  const pgDir = path.join(dir, "pg");
  const running = runningEmbeddedPort(pgDir);
  let superuserUrl: string;
  let stop = async () => {};
  if (running) {
    superuserUrl = `postgresql://postgres:${encodeURIComponent(secrets.pgPassword)}@127.0.0.1:${running}/medshare`;
    log(`using the embedded PostgreSQL already running on port ${running}`);
  } else {
    const pg = await startEmbeddedPostgres({ dir: pgDir, password: secrets.pgPassword, port: Number(process.env.MEDSHARE_PG_PORT ?? 54329) });
    superuserUrl = pg.url;
    stop = pg.stop;
    log(`embedded PostgreSQL started on port ${pg.port} (data in ${pgDir})`);
  }
  const urls = await provisionRoles(superuserUrl, {
    owner: { name: OWNER_ROLE, password: secrets.ownerPassword },
    app: { name: APP_ROLE, password: secrets.appPassword },
  });
  return { ...urls, stop };
}

/**
 * An external PostgreSQL: `DATABASE_URL` is the owner role (migrations), and
 * `MEDSHARE_APP_DATABASE_URL` the least-privilege role everything else uses.
 */
function externalUrls(ownerUrl: string) {
  const appUrl = process.env.MEDSHARE_APP_DATABASE_URL;
  if (!appUrl)
    throw new Error(
      "DATABASE_URL is set but MEDSHARE_APP_DATABASE_URL is not: MedShare runs its migrations as DATABASE_URL (the owner role) " +
        "and everything else as MEDSHARE_APP_DATABASE_URL (a role that is no superuser). See README, Configuration.",
    );
  return { ownerUrl, appUrl, stop: async () => {} };
}

const initial = globalThis as unknown as { medshareInitialDatabaseUrl?: string };

/**
 * The database MedShare runs on: the owner role migrates it (and grants the app role its rights),
 * and this process, the server and the worker then connect as the app role.
 */
export async function openDatabase(opts: { log?: (m: string) => void; migrate?: boolean } = {}): Promise<Database> {
  const log = opts.log ?? (() => {});
  const dir = dataDir();
  const secrets = ensureLocalSecrets(dir);
  // DATABASE_URL as this process found it: after the first call it holds the app role's URL.
  initial.medshareInitialDatabaseUrl ??= process.env.DATABASE_URL ?? "";
  const external = initial.medshareInitialDatabaseUrl;
  const embedded = !external;
  const { ownerUrl, appUrl, stop } = embedded ? await openEmbedded(dir, secrets, log) : externalUrls(external);
  if (opts.migrate !== false) await migrateAsOwner(ownerUrl, roleOf(appUrl), log);
  // Scripts in this process (seed, admin:create) reach the same database through lib/db/client,
  // as the app role, and seal secrets under the same key-encryption key as the server.
  process.env.DATABASE_URL = appUrl;
  process.env.MEDSHARE_KEK ??= secrets.kek;
  process.env.NEXTAUTH_SECRET ??= secrets.nextauthSecret;
  process.env.MEDSHARE_LEDGER_SIGNING_KEY ??= secrets.ledgerSigningKey;
  // A short-lived script (seed, admin:create) ends before the checkpoint timer fires: sign its entries now.
  const stopAfterCheckpoint = async () => {
    await checkpointNow().catch(() => {});
    await stop();
  };
  return { url: appUrl, appUrl, ownerUrl, embedded, stop: stopAfterCheckpoint, secrets };
}

/**
 * A fresh database (the e2e server's, a test's) given its superuser URL: both roles with one-off
 * passwords, migrated as the owner. Returns the owner's and the app role's URLs.
 */
export async function provisionFreshDatabase(superuserUrl: string, log?: (m: string) => void) {
  const password = () => randomBytes(18).toString("base64url");
  const urls = await provisionRoles(superuserUrl, { owner: { name: OWNER_ROLE, password: password() }, app: { name: APP_ROLE, password: password() } });
  await migrateAsOwner(urls.ownerUrl, APP_ROLE, log);
  return urls;
}

/** The environment the Next.js server needs, filled from the local secrets where not set. */
export function serverEnv(database: Database, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // The server and the worker never see the owner's (or a superuser's) credentials.
    DATABASE_URL: database.appUrl,
    MEDSHARE_LEDGER_SIGNING_KEY: process.env.MEDSHARE_LEDGER_SIGNING_KEY ?? database.secrets.ledgerSigningKey,
    NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? database.secrets.nextauthSecret,
    NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? `http://localhost:${port}`,
    MEDSHARE_KEK: process.env.MEDSHARE_KEK ?? database.secrets.kek,
  };
}
