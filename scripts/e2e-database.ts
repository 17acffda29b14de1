// What the e2e servers (scripts/e2e-server.ts, scripts/e2e-netns-server.ts) share: a fresh
// embedded PostgreSQL of their own (folder and port), each party's least-privilege role, the
// seeded authority admin, one-off secrets for every party, and a log of everything served.
import { randomBytes } from "node:crypto";
import { createWriteStream, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startEmbeddedPostgres } from "@/lib/db/embedded";
import { aaEnvs, partyEnvs, provisionFreshDatabase, type Database, type PartyEnvOptions } from "@/lib/db/bootstrap";
import { DEFAULT_AAS } from "@/lib/aa/deploy";
import type { Party } from "@/lib/db/roles";
import { createApprovedAccount } from "@/lib/portal/accounts";
import { E2E_ADMIN } from "@/e2e/fixtures/accounts";

export type E2eDatabase = {
  /** The superuser's URL (scans, attacks). */
  adminUrl: string;
  urls: Partial<Record<Party, string>>;
  /** Each service's environment (lib/db/bootstrap.ts partyEnvs) with this run's one-off secrets. */
  envs(opts: PartyEnvOptions): Partial<Record<Party, NodeJS.ProcessEnv>>;
  /** The attribute authorities (HA1, NRI), each on its own database: their environments on these ports. */
  aas(ports: Record<string, number>, host?: string): ReturnType<typeof aaEnvs>;
  aaNames: readonly string[];
  stop(): Promise<void>;
};

/** The folders a run's database and ledger live in, removed with it. */
export const e2eDataPaths = (tag: string) => ({ pg: path.resolve(".data", `e2e-pg-${tag}`), ledger: path.resolve(".data", `e2e-ledger-${tag}`) });

export async function startE2eDatabase(opts: {
  /** Names this run's folders under .data. */
  tag: string;
  /** Extra listen addresses and allowed client hosts (lib/db/embedded.ts). */
  listen?: string[];
  allowHosts?: string[];
  /** Writes the URLs to .data/e2e-*-url for journeys that check the database (e2e/fixtures/database.ts). */
  writeUrls?: boolean;
}): Promise<E2eDatabase> {
  const { pg: dir, ledger: ledgerDir } = e2eDataPaths(opts.tag);
  const password = randomBytes(18).toString("base64url");
  const pg = await startEmbeddedPostgres({ dir, password, listen: opts.listen, allowHosts: opts.allowHosts });
  // Each party runs as its own least-privilege role, like under `npm start` (lib/db/roles.ts).
  const { urls, aas } = await provisionFreshDatabase(pg.url, undefined, DEFAULT_AAS);
  process.env.DATABASE_URL = urls.authority;
  // Signed ledger checkpoints of this run only, in a folder removed with it.
  process.env.MEDSHARE_LEDGER_DIR = ledgerDir;
  process.env.MEDSHARE_LEDGER_SIGNING_KEY = randomBytes(32).toString("hex");
  if (opts.writeUrls) {
    // Journeys that check the database afterwards read the URLs here: the superuser's for scans
    // and attacks (e2e/fixtures/database.ts), each party's to compare with what the services use.
    writeFileSync(path.resolve(".data", "e2e-database-url"), urls.authority!, { mode: 0o600 });
    writeFileSync(path.resolve(".data", "e2e-csp-database-url"), urls.csp!, { mode: 0o600 });
    writeFileSync(path.resolve(".data", "e2e-database-admin-url"), pg.url, { mode: 0o600 });
  }
  await createApprovedAccount({ ...E2E_ADMIN, kind: "AUTHORITY", role: "AUTHORITY_ADMIN", reason: "e2e" });

  const secret = () => randomBytes(18).toString("base64url");
  const secrets = {
    nextauthSecret: randomBytes(32).toString("base64url"),
    kek: randomBytes(32).toString("base64"),
    pgPassword: password,
    ownerPassword: secret(),
    authorityDbPassword: secret(),
    cspDbPassword: secret(),
    clusteringDbPassword: secret(),
    partySigningKey: randomBytes(32).toString("hex"),
    ledgerSigningKey: process.env.MEDSHARE_LEDGER_SIGNING_KEY,
    cspLogSigningKey: randomBytes(32).toString("hex"),
    aaServices: {},
  };
  const database: Database = { url: urls.authority!, urls, ownerUrl: "", embedded: true, stop: async () => {}, secrets, aas };
  if (opts.writeUrls)
    // The attribute authorities' databases (service roles), for the scans of e2e/parties.spec.ts.
    writeFileSync(path.resolve(".data", "e2e-aa-database-urls.json"), JSON.stringify(Object.fromEntries(aas.map((a) => [a.name, a.databaseUrl]))), {
      mode: 0o600,
    });
  return {
    adminUrl: pg.url,
    urls,
    envs: (envOpts) => partyEnvs(database, envOpts),
    aas: (ports, host) => aaEnvs(database, ports, host),
    aaNames: DEFAULT_AAS,
    async stop() {
      await pg.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      rmSync(ledgerDir, { recursive: true, force: true });
    },
  };
}

/**
 * Everything the services log, echoed and kept in `file`, so a journey can check that no
 * patient data or secret ever reaches the logs (e2e/server-logs.spec.ts).
 */
export function e2eLog(file: string) {
  const log = createWriteStream(path.resolve(".data", file), { flags: "w" });
  const keep = (d: Buffer) => (process.stdout.write(d), log.write(d));
  const keepErr = (d: Buffer) => (process.stderr.write(d), log.write(d));
  return { keep, keepErr, note: (m: string) => keepErr(Buffer.from(`[medshare] ${m}\n`)) };
}
