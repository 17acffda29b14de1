import pg from "pg";
import PgBoss from "pg-boss";
import { runMigrations } from "./migrate";

/**
 * Least-privilege PostgreSQL roles (docs/SECURITY.md "Database roles", DESIGN.md "Parties and
 * trust"):
 * - the owner role owns the schemas and tables and runs the migrations; it is no superuser and
 *   cannot create roles;
 * - one role per party, each granted rows in its own schemas only: the authority
 *   (`portal`, `authority`, and its log `ledger`), the CSP (`csp`, its log `csp_ledger`, the job
 *   queue `pgboss`). On its log a party may only SELECT and INSERT, and since it owns nothing it
 *   cannot ALTER a table (so it cannot switch the append-only trigger off). Anything else is
 *   "permission denied": the CSP's role cannot read a single row of the authority's tables.
 * - `clustering`, the clustering worker: the CSP's evaluator (lib/clustering/process.ts), with the
 *   CSP's grants. The key holder is the authority's service (issue #12): the worker reaches it
 *   over HTTP and reads no authority table.
 */
export const OWNER_ROLE = "medshare_owner";
export const PARTY_ROLES = { authority: "medshare_authority", csp: "medshare_csp", clustering: "medshare_clustering" } as const;
export type Party = keyof typeof PARTY_ROLES;

const QUEUE_SCHEMA = "pgboss";
/** What each party may touch: schemas whose rows it reads and writes, its append-only log, the queue. */
const PARTY_GRANTS: Record<Party, { rows: string[]; log: string | null; queue: boolean }> = {
  authority: { rows: ["portal", "authority"], log: "ledger", queue: false },
  csp: { rows: ["csp"], log: "csp_ledger", queue: true },
  clustering: { rows: ["csp"], log: "csp_ledger", queue: true },
};

export type RoleCredentials = { name: string; password: string };

const ident = (name: string) => pg.Client.prototype.escapeIdentifier(name);
const literal = (value: string) => pg.Client.prototype.escapeLiteral(value);

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: "medshare-setup" });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `url` with other credentials (same host, port, database and options). */
export function urlFor(url: string, role: RoleCredentials): string {
  const u = new URL(url);
  u.username = encodeURIComponent(role.name);
  u.password = encodeURIComponent(role.password);
  return u.toString();
}

/** The role name a connection URL logs in as. */
export const roleOf = (url: string) => decodeURIComponent(new URL(url).username);

async function ensureLoginRole(client: pg.Client, role: RoleCredentials) {
  const exists = (await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role.name])).rowCount;
  const attributes = "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS";
  // ALTER on every start keeps the attributes and the password in step with .data/secrets.json.
  await client.query(`${exists ? "ALTER" : "CREATE"} ROLE ${ident(role.name)} WITH ${attributes} PASSWORD ${literal(role.password)}`);
}

/**
 * Hands everything a superuser created in our schemas (installs from before the roles existed)
 * to the owner role. Sequences of serial and identity columns follow their table (partitions do
 * not: each is altered itself); pg-boss's objects go to the owner
 * too (it installs and migrates the queue schema, see installQueue).
 */
async function reassignFromSuperusers(client: pg.Client, owner: string) {
  const to = ident(owner);
  const schemas = await client.query<{ nspname: string }>(
    `SELECT n.nspname FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
     WHERE r.rolsuper AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT IN ('information_schema', 'public')`,
  );
  for (const s of schemas.rows) await client.query(`ALTER SCHEMA ${ident(s.nspname)} OWNER TO ${to}`);
  const ours = `n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'`;
  // Objects of an extension stay with whoever installed the extension.
  const notExtension = (catalog: string, oid: string) =>
    `NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '${catalog}'::regclass AND e.objid = ${oid} AND e.deptype = 'e')`;
  const relations = await client.query<{ name: string; relkind: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_roles r ON r.oid = c.relowner
     WHERE r.rolsuper AND ${ours} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
       AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
       AND ${notExtension("pg_class", "c.oid")}`,
  );
  const keyword: Record<string, string> = { r: "TABLE", p: "TABLE", v: "VIEW", m: "MATERIALIZED VIEW", S: "SEQUENCE", f: "FOREIGN TABLE" };
  for (const rel of relations.rows) await client.query(`ALTER ${keyword[rel.relkind]} ${rel.name} OWNER TO ${to}`);
  const types = await client.query<{ name: string }>(
    `SELECT format('%I.%I', n.nspname, t.typname) AS name
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_roles r ON r.oid = t.typowner
     WHERE r.rolsuper AND ${ours} AND t.typtype IN ('e', 'd') AND ${notExtension("pg_type", "t.oid")}`,
  );
  for (const t of types.rows) await client.query(`ALTER TYPE ${t.name} OWNER TO ${to}`);
  const functions = await client.query<{ signature: string }>(
    `SELECT p.oid::regprocedure::text AS signature
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_roles r ON r.oid = p.proowner
     WHERE r.rolsuper AND ${ours} AND ${notExtension("pg_proc", "p.oid")}`,
  );
  for (const f of functions.rows) await client.query(`ALTER ROUTINE ${f.signature} OWNER TO ${to}`);
}

/**
 * Run once per start as the superuser (embedded PostgreSQL, or the e2e server's): creates or
 * updates the owner and the party roles, makes the owner role own the database (and so its
 * `public` schema, for the migrations table) and everything already in it. Nothing else
 * connects as the superuser.
 */
export async function provisionRoles(superuserUrl: string, roles: { owner: RoleCredentials; parties: Record<Party, RoleCredentials> }) {
  await withClient(superuserUrl, async (client) => {
    // Two starters at once (npm start and seed:demo) must not race on CREATE ROLE.
    await client.query("SELECT pg_advisory_lock(727276)");
    try {
      await ensureLoginRole(client, roles.owner);
      for (const party of Object.values(roles.parties)) await ensureLoginRole(client, party);
      const database = (await client.query<{ db: string }>("SELECT current_database() AS db")).rows[0].db;
      await client.query(`ALTER DATABASE ${ident(database)} OWNER TO ${ident(roles.owner.name)}`);
      await client.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
      for (const party of Object.values(roles.parties)) await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(database)} TO ${ident(party.name)}`);
      await reassignFromSuperusers(client, roles.owner.name);
    } finally {
      await client.query("SELECT pg_advisory_unlock(727276)").catch(() => {});
    }
  });
  const urls = Object.fromEntries(Object.entries(roles.parties).map(([party, role]) => [party, urlFor(superuserUrl, role)])) as Record<Party, string>;
  return { ownerUrl: urlFor(superuserUrl, roles.owner), urls };
}

/**
 * pg-boss creates its schema, tables and one table partition per queue (DDL the app role may not
 * run), so the owner installs or upgrades it here, queue included; the app then only moves rows.
 */
async function installQueue(ownerUrl: string) {
  const boss = new PgBoss({ connectionString: ownerUrl, schema: QUEUE_SCHEMA, max: 1, supervise: false, schedule: false });
  boss.on("error", () => {});
  await boss.start();
  try {
    // Same options as lib/clustering/queue.ts (the first createQueue wins; later calls change nothing).
    await boss.createQueue("clustering", { name: "clustering", retryLimit: 0, expireInSeconds: 23 * 3600 });
  } finally {
    await boss.stop({ graceful: false, wait: true, close: true });
  }
}

/**
 * The party roles' rights, granted as the owner after every migration run, so tables a later
 * migration adds are covered (ALTER DEFAULT PRIVILEGES covers tables created in between). Each
 * role first loses whatever it had elsewhere: grants are exactly PARTY_GRANTS.
 */
export async function grantPartyRoles(ownerUrl: string, roles: Partial<Record<Party, string>>) {
  await withClient(ownerUrl, async (client) => {
    const owner = ident(roleOf(ownerUrl));
    const schemas = (
      await client.query<{ nspname: string }>(
        `SELECT nspname FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = $1) AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'`,
        [roleOf(ownerUrl)],
      )
    ).rows.map((r) => r.nspname);
    await client.query("BEGIN");
    for (const [party, name] of Object.entries(roles) as Array<[Party, string]>) {
      const role = ident(name);
      const grants = PARTY_GRANTS[party];
      for (const nspname of schemas) {
        const s = ident(nspname);
        await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${role}`);
        await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${role}`);
        await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} REVOKE ALL ON TABLES FROM ${role}`);
        await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} REVOKE ALL ON SEQUENCES FROM ${role}`);
        if (nspname !== "public") await client.query(`REVOKE USAGE ON SCHEMA ${s} FROM ${role}`);
      }
      for (const nspname of grants.rows.filter((x) => schemas.includes(x))) {
        const s = ident(nspname);
        await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
        await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${role}`);
        await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${role}`);
        await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role}`);
        await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${role}`);
      }
      if (grants.log && schemas.includes(grants.log)) {
        // The party's log: read and append, nothing else (the trigger refuses UPDATE/DELETE too).
        const s = ident(grants.log);
        await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
        await client.query(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA ${s} TO ${role}`);
        await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${role}`);
        await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${s} GRANT SELECT, INSERT ON TABLES TO ${role}`);
      }
      if (grants.queue) {
        // The job queue: rows only (pg-boss's functions write rows; DDL stays with the owner).
        const s = ident(QUEUE_SCHEMA);
        await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
        await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${role}`);
        await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${role}`);
        await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${s} TO ${role}`);
      }
    }
    await client.query("COMMIT");
  });
}

/** Migrations, the queue schema and the party roles' grants, all as the owner role. */
export async function migrateAsOwner(ownerUrl: string, roles: Partial<Record<Party, string>>, log: (m: string) => void = () => {}) {
  const applied = await runMigrations(ownerUrl, undefined, log);
  await installQueue(ownerUrl);
  await grantPartyRoles(ownerUrl, roles);
  return applied;
}
