import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { dataDir } from "@/lib/config/data-dir";
import { ensureLocalSecrets, type LocalSecrets } from "@/lib/config/secrets";
import { startEmbeddedPostgres } from "./embedded";
import { runMigrations } from "./migrate";

export type Database = { url: string; embedded: boolean; stop: () => Promise<void>; secrets: LocalSecrets };

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
 * The database MedShare runs on: `DATABASE_URL` when set, otherwise the embedded PostgreSQL in
 * the data folder (started here, or reused if `npm start` already runs it). Migrations are
 * applied either way.
 */
export async function openDatabase(opts: { log?: (m: string) => void; migrate?: boolean } = {}): Promise<Database> {
  const log = opts.log ?? (() => {});
  const dir = dataDir();
  const secrets = ensureLocalSecrets(dir);
  let url = process.env.DATABASE_URL;
  let stop = async () => {};
  let embedded = false;
  if (!url) {
    embedded = true;
    const pgDir = path.join(dir, "pg");
    const port = runningEmbeddedPort(pgDir);
    if (port) {
      url = `postgresql://postgres:${encodeURIComponent(secrets.pgPassword)}@127.0.0.1:${port}/medshare`;
      log(`using the embedded PostgreSQL already running on port ${port}`);
    } else {
      const pg = await startEmbeddedPostgres({ dir: pgDir, password: secrets.pgPassword, port: Number(process.env.MEDSHARE_PG_PORT ?? 54329) });
      url = pg.url;
      stop = pg.stop;
      log(`embedded PostgreSQL started on port ${pg.port} (data in ${pgDir})`);
    }
  }
  if (opts.migrate !== false) await runMigrations(url, undefined, log);
  // Scripts in this process (seed, admin:create) reach the same database through lib/db/client,
  // and seal secrets under the same key-encryption key as the server.
  process.env.DATABASE_URL = url;
  process.env.MEDSHARE_KEK ??= secrets.kek;
  process.env.NEXTAUTH_SECRET ??= secrets.nextauthSecret;
  return { url, embedded, stop, secrets };
}

/** The environment the Next.js server needs, filled from the local secrets where not set. */
export function serverEnv(database: Database, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? database.secrets.nextauthSecret,
    NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? `http://localhost:${port}`,
    MEDSHARE_KEK: process.env.MEDSHARE_KEK ?? database.secrets.kek,
  };
}
