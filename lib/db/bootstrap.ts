import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { dataDir } from "@/lib/config/data-dir";
import { readRunFile } from "@/lib/config/run-file";
import { checkpointNow } from "@/lib/ledger/checkpoint";
import { ensureAaSecrets, ensureLocalSecrets, type LocalSecrets } from "@/lib/config/secrets";
import { aaServiceEnv, aasHere, externalAa, type AaDeployment } from "@/lib/aa/deploy";
import { provisionAaDatabase } from "@/lib/aa/schema";
import { startEmbeddedPostgres } from "./embedded";
import { publicKeyOf, hexKey } from "@/lib/parties/token";
import { migrateAsOwner, OWNER_ROLE, PARTY_ROLES, provisionRoles, roleOf, type Party } from "./roles";

// The launcher fills the environment that lib/config/env.ts reads (its own and each party's), so it reads and writes process.env itself.

export type Database = {
  /** The authority's URL: what the scripts (seed, admin:create) connect with. */
  url: string;
  /** Each party's least-privilege role (lib/db/roles.ts); a party missing here is not run by this launcher. */
  urls: Partial<Record<Party, string>>;
  /** The owner role's URL: migrations only. */
  ownerUrl: string;
  embedded: boolean;
  stop: () => Promise<void>;
  secrets: LocalSecrets;
  /** The attribute authorities this launcher runs (lib/aa/deploy.ts), each on its own database. */
  aas: AaDeployment[];
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

/** PostgreSQL's answer while it starts up or shuts down (SQLSTATE cannot_connect_now). */
const CANNOT_CONNECT_NOW = "57P03";

/**
 * The port of an embedded PostgreSQL that runs in the data folder and takes connections, or null
 * when none runs. One that is still shutting down (a restart right after a stop: the launcher has
 * exited, its PostgreSQL not yet) or starting up is waited for, up to a minute, instead of being
 * reused and failing with "the database system is shutting down".
 */
export async function usableEmbeddedPort(pgDir: string, password: string): Promise<number | null> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const port = runningEmbeddedPort(pgDir);
    if (!port) return null;
    const client = new pg.Client({
      host: "127.0.0.1",
      port,
      user: "postgres",
      password,
      database: "postgres",
      application_name: "medshare-setup",
    });
    client.on("error", () => undefined); // a late socket error after a refusal is not news
    try {
      await client.connect();
      return port;
    } catch (error) {
      // refused, or reset while it shuts down: it is exiting or exited between the pid check and
      // the connection (the next check says so; a reset failed a clean-clone CI run, 2026-12-07)
      const code = (error as { code?: string }).code;
      if (!(code === CANNOT_CONNECT_NOW || code === "ECONNREFUSED" || code === "ECONNRESET") || Date.now() > deadline) throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The embedded PostgreSQL in the data folder (started here, or reused if `npm start` already runs
 * it): its superuser is used once, to create the owner and app roles (lib/db/roles.ts).
 */
async function openEmbedded(dir: string, secrets: LocalSecrets, log: (m: string) => void) {
  const pgDir = path.join(dir, "pg");
  const running = await usableEmbeddedPort(pgDir, secrets.pgPassword);
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
  const { ownerUrl, urls } = await provisionRoles(superuserUrl, {
    owner: { name: OWNER_ROLE, password: secrets.ownerPassword },
    parties: {
      authority: { name: PARTY_ROLES.authority, password: secrets.authorityDbPassword },
      csp: { name: PARTY_ROLES.csp, password: secrets.cspDbPassword },
      clustering: { name: PARTY_ROLES.clustering, password: secrets.clusteringDbPassword },
    },
  });
  const aas: AaDeployment[] = [];
  for (const name of aasHere()) {
    const own = ensureAaSecrets(dir, name);
    const { url } = await provisionAaDatabase(superuserUrl, name, { name: OWNER_ROLE, password: secrets.ownerPassword }, own.dbPassword);
    aas.push({ name, databaseUrl: url, kek: own.kek, logSigningKey: own.logSigningKey });
  }
  return { ownerUrl, urls: urls as Partial<Record<Party, string>>, stop, aas };
}

/** Environment variable holding each party's database URL on an external PostgreSQL. */
export const PARTY_DATABASE_ENV: Record<Party, string> = {
  authority: "MEDSHARE_AUTHORITY_DATABASE_URL",
  csp: "MEDSHARE_CSP_DATABASE_URL",
  clustering: "MEDSHARE_CLUSTERING_DATABASE_URL",
};

/** The services this launcher runs (MEDSHARE_SERVICES, comma-separated; default all, on one machine). */
export function servicesHere(): Party[] {
  const listed = (process.env.MEDSHARE_SERVICES ?? "authority,csp,clustering")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = listed.filter((s) => !Object.hasOwn(PARTY_ROLES, s) && s !== "aa");
  if (unknown.length) throw new Error(`MEDSHARE_SERVICES: unknown service ${unknown.join(", ")} (authority, csp, clustering, aa)`);
  // `aa`: the attribute authorities named in MEDSHARE_AAS (lib/aa/deploy.ts aasHere).
  return listed.filter((s) => s !== "aa") as Party[];
}

/**
 * An external PostgreSQL: `DATABASE_URL` is the owner role (migrations), and each service this
 * launcher runs connects with its own least-privilege role (PARTY_DATABASE_ENV).
 */
async function externalUrls(ownerUrl: string) {
  const urls: Partial<Record<Party, string>> = {};
  for (const party of servicesHere()) {
    const url = process.env[PARTY_DATABASE_ENV[party]];
    if (!url)
      throw new Error(
        `DATABASE_URL is set but ${PARTY_DATABASE_ENV[party]} is not: MedShare runs its migrations as DATABASE_URL (the owner role) ` +
          `and the ${party} service as ${PARTY_DATABASE_ENV[party]} (a role that is no superuser). See docs/DEPLOY.md.`,
      );
    urls[party] = url;
  }
  const aas = await Promise.all(aasHere().map((name) => externalAa(name, process.env, () => ensureAaSecrets(dataDir(), name))));
  return { ownerUrl, urls, stop: async () => {}, aas };
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
  const { ownerUrl, urls, stop, aas } = embedded ? await openEmbedded(dir, secrets, log) : await externalUrls(external);
  const roles = Object.fromEntries(Object.entries(urls).map(([party, url]) => [party, roleOf(url)]));
  if (opts.migrate !== false) await migrateAsOwner(ownerUrl, roles, log);
  // Scripts in this process (seed, admin:create) reach the authority's tables through
  // lib/db/client, as the authority's role, and seal secrets under the same key-encryption key.
  const url = urls.authority ?? "";
  if (url) {
    process.env.DATABASE_URL = url;
    process.env.MEDSHARE_KEK ??= secrets.kek;
    process.env.NEXTAUTH_SECRET ??= secrets.nextauthSecret;
    process.env.MEDSHARE_LEDGER_SIGNING_KEY ??= secrets.ledgerSigningKey;
    process.env.MEDSHARE_PARTY_SIGNING_KEY ??= secrets.partySigningKey;
    // Where `npm start` runs the attribute authorities (a seed creates attributes there).
    const running = readRunFile()?.aaUrls;
    if (running) process.env.MEDSHARE_AA_URLS ??= running;
  }
  // A short-lived script (seed, admin:create) ends before the checkpoint timer fires: sign its entries now.
  const stopAfterCheckpoint = async () => {
    await checkpointNow().catch(() => {});
    await stop();
  };
  return { url, urls, ownerUrl, embedded, stop: stopAfterCheckpoint, secrets, aas };
}

/**
 * A fresh database (the e2e server's, a test's) given its superuser URL: the owner and every
 * party's role with one-off passwords, migrated as the owner. Returns their URLs.
 */
export async function provisionFreshDatabase(superuserUrl: string, log?: (m: string) => void, aaNames: readonly string[] = []) {
  const password = () => randomBytes(18).toString("base64url");
  const parties = Object.fromEntries(Object.entries(PARTY_ROLES).map(([party, name]) => [party, { name, password: password() }])) as Record<
    Party,
    { name: string; password: string }
  >;
  const owner = { name: OWNER_ROLE, password: password() };
  const { ownerUrl, urls } = await provisionRoles(superuserUrl, { owner, parties });
  await migrateAsOwner(ownerUrl, PARTY_ROLES, log);
  // Each attribute authority: its own database and role, its own one-off KEK.
  const aas: AaDeployment[] = [];
  for (const name of aaNames) {
    const { url } = await provisionAaDatabase(superuserUrl, name, owner, password());
    aas.push({ name, databaseUrl: url, kek: randomBytes(32).toString("base64"), logSigningKey: randomBytes(32).toString("hex") });
  }
  return { ownerUrl, urls, aas };
}

/** Secrets that belong to the authority alone: never in another party's environment. */
const AUTHORITY_SECRETS = ["MEDSHARE_KEK", "NEXTAUTH_SECRET", "MEDSHARE_PARTY_SIGNING_KEY", "MEDSHARE_LEDGER_SIGNING_KEY"];
/** The CSP's own secret: never in the authority's environment. */
const CSP_SECRETS = ["MEDSHARE_CSP_LOG_SIGNING_KEY"];
const DATABASE_VARS = ["DATABASE_URL", ...Object.values(PARTY_DATABASE_ENV)];

/** The environment with none of the authority's secrets and no database URL in it. */
export function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of [...AUTHORITY_SECRETS, ...CSP_SECRETS, ...DATABASE_VARS]) delete out[name];
  // An attribute authority's KEK and database (MEDSHARE_AA_<NAME>_*) go to that AA's process alone.
  for (const name of Object.keys(out)) if (name.startsWith("MEDSHARE_AA_")) delete out[name];
  return out;
}

export type PartyEnvOptions = {
  /** Public URL of the portal (the authority's service). */
  portalUrl: string;
  /** Where the authority reaches the CSP's service. */
  cspUrl: string;
  /** Where it reaches each attribute authority's service: "HA1=http://…,NRI=http://…" (MEDSHARE_AA_URLS). */
  aaUrls?: string;
};

/** The registration authority's token public key (hex), as the CSP and the AAs must know it. */
function authorityPublicKeyOf(database: Database): string {
  const signing = process.env.MEDSHARE_PARTY_SIGNING_KEY ?? database.secrets.partySigningKey;
  return process.env.MEDSHARE_AUTHORITY_PUBLIC_KEY ?? Buffer.from(publicKeyOf(hexKey(signing, "MEDSHARE_PARTY_SIGNING_KEY"))).toString("hex");
}

/**
 * Each attribute authority's process environment (lib/aa/deploy.ts): its own database, KEK and
 * port, the registration authority's public key; `url` is where the portal reaches it.
 */
export function aaEnvs(database: Database, ports: Record<string, number>, host = "127.0.0.1") {
  const base = withoutSecrets(process.env);
  delete base.DATABASE_URL;
  const authorityPublicKey = authorityPublicKeyOf(database);
  return database.aas.map((aa) => ({
    name: aa.name,
    env: aaServiceEnv(base, aa, { authorityPublicKey, port: ports[aa.name], host }),
    url: `http://${host}:${ports[aa.name]}`,
  }));
}

/**
 * Each service's environment, filled from the local secrets where not set: the authority gets
 * its database, its KEK, its session and signing keys; the CSP gets its database and the
 * authority's PUBLIC key, nothing else; the clustering worker (the CSP's evaluator: the key
 * holder is the authority's service, issue #12) its own role, the CSP's log key that signs its
 * calls on the key holder, and the authority's URL. No KEK leaves the authority.
 */
export function partyEnvs(database: Database, opts: PartyEnvOptions): Partial<Record<Party, NodeJS.ProcessEnv>> {
  const base = withoutSecrets(process.env);
  const s = database.secrets;
  const { authority, csp, clustering } = database.urls;
  // Without the authority on this host, its keys are not in the local secrets: a key made up
  // here would make the CSP refuse every call.
  if (csp && !authority && !process.env.MEDSHARE_AUTHORITY_PUBLIC_KEY)
    throw new Error(
      "this host runs the CSP without the authority: set MEDSHARE_AUTHORITY_PUBLIC_KEY (`npm run party:public-key` on the authority's host prints it; docs/DEPLOY.md).",
    );
  if (clustering && !csp && !process.env.MEDSHARE_CSP_LOG_SIGNING_KEY)
    throw new Error("this host runs the clustering worker without the CSP: set MEDSHARE_CSP_LOG_SIGNING_KEY to the CSP's log signing key (docs/DEPLOY.md).");
  if (clustering && !authority && !process.env.MEDSHARE_AUTHORITY_URL)
    throw new Error("this host runs the clustering worker without the authority: set MEDSHARE_AUTHORITY_URL to the authority's URL (docs/DEPLOY.md).");
  const signing = process.env.MEDSHARE_PARTY_SIGNING_KEY ?? s.partySigningKey;
  const authorityPublicKey = authorityPublicKeyOf(database);
  const kek = process.env.MEDSHARE_KEK ?? s.kek;
  // Log keys (lib/ledger/log-keys.ts): each party signs its own heads and witnesses the other's.
  // A key pair made up here is only right for the party this host runs.
  const ledgerKey = process.env.MEDSHARE_LEDGER_SIGNING_KEY ?? s.ledgerSigningKey;
  const cspLogKey = process.env.MEDSHARE_CSP_LOG_SIGNING_KEY ?? s.cspLogSigningKey;
  const logPublic = (hex: string) => Buffer.from(publicKeyOf(hexKey(hex, "log signing key"))).toString("hex");
  const authorityLogPublicKey = process.env.MEDSHARE_AUTHORITY_LOG_PUBLIC_KEY ?? (authority ? logPublic(ledgerKey) : undefined);
  const cspLogPublicKey = process.env.MEDSHARE_CSP_LOG_PUBLIC_KEY ?? (csp ? logPublic(cspLogKey) : undefined);
  // The AAs this launcher runs: the portal witnesses their logs under these keys (lib/aa/witness.ts), not under what an AA announces.
  const aaLogPublicKeys =
    process.env.MEDSHARE_AA_LOG_PUBLIC_KEYS ?? (database.aas.map((aa) => `${aa.name}=${logPublic(aa.logSigningKey)}`).join(",") || undefined);
  const out: Partial<Record<Party, NodeJS.ProcessEnv>> = {};
  if (authority)
    out.authority = {
      ...base,
      MEDSHARE_ROLE: "authority",
      DATABASE_URL: authority,
      MEDSHARE_CSP_URL: process.env.MEDSHARE_CSP_URL ?? opts.cspUrl,
      ...(process.env.MEDSHARE_AA_URLS || opts.aaUrls ? { MEDSHARE_AA_URLS: process.env.MEDSHARE_AA_URLS ?? opts.aaUrls } : {}),
      MEDSHARE_KEK: kek,
      MEDSHARE_PARTY_SIGNING_KEY: signing,
      MEDSHARE_LEDGER_SIGNING_KEY: ledgerKey,
      ...(cspLogPublicKey ? { MEDSHARE_CSP_LOG_PUBLIC_KEY: cspLogPublicKey } : {}),
      ...(aaLogPublicKeys ? { MEDSHARE_AA_LOG_PUBLIC_KEYS: aaLogPublicKeys } : {}),
      NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET ?? s.nextauthSecret,
      NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? opts.portalUrl,
    };
  if (csp)
    out.csp = {
      ...base,
      MEDSHARE_ROLE: "csp",
      DATABASE_URL: csp,
      MEDSHARE_AUTHORITY_PUBLIC_KEY: authorityPublicKey,
      MEDSHARE_CSP_LOG_SIGNING_KEY: cspLogKey,
      MEDSHARE_AUTHORITY_URL: process.env.MEDSHARE_AUTHORITY_URL ?? opts.portalUrl,
      ...(authorityLogPublicKey ? { MEDSHARE_AUTHORITY_LOG_PUBLIC_KEY: authorityLogPublicKey } : {}),
    };
  if (clustering)
    out.clustering = {
      ...base,
      DATABASE_URL: clustering,
      // Every run (lib/clustering/standard.ts, blind.ts): the CSP's end calls the key holder at the authority, signing with the CSP's key.
      MEDSHARE_CSP_LOG_SIGNING_KEY: cspLogKey,
      MEDSHARE_AUTHORITY_URL: process.env.MEDSHARE_AUTHORITY_URL ?? opts.portalUrl,
    };
  return out;
}
