import pg from "pg";
import PgBoss from "pg-boss";
import { runMigrations } from "./migrate";

/**
 * Least-privilege PostgreSQL roles (docs/SECURITY.md "Database roles"):
 * - the owner role owns the schemas and tables and runs the migrations; it is no superuser and
 *   cannot create roles;
 * - the app role is what the web server, the worker and the scripts connect as: it reads and
 *   writes rows, but on the audit ledger it may only SELECT and INSERT, and since it owns
 *   nothing it cannot ALTER a table (so it cannot switch the append-only trigger off).
 */
export const OWNER_ROLE = "medshare_owner";
export const APP_ROLE = "medshare_app";

/** Party schemas whose rows the app reads and writes; the ledger and the queue get their own rules. */
const LEDGER_SCHEMA = "ledger";
const QUEUE_SCHEMA = "pgboss";
const NOT_APP_SCHEMAS = ["public", "information_schema", LEDGER_SCHEMA, QUEUE_SCHEMA];

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
 * updates the two roles, makes the owner role own the database (and so its `public` schema, for
 * the migrations table) and everything already in it. Nothing else connects as the superuser.
 */
export async function provisionRoles(superuserUrl: string, roles: { owner: RoleCredentials; app: RoleCredentials }) {
  await withClient(superuserUrl, async (client) => {
    // Two starters at once (npm start and seed:demo) must not race on CREATE ROLE.
    await client.query("SELECT pg_advisory_lock(727276)");
    try {
      await ensureLoginRole(client, roles.owner);
      await ensureLoginRole(client, roles.app);
      const database = (await client.query<{ db: string }>("SELECT current_database() AS db")).rows[0].db;
      await client.query(`ALTER DATABASE ${ident(database)} OWNER TO ${ident(roles.owner.name)}`);
      await client.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
      await client.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(database)} TO ${ident(roles.app.name)}`);
      await reassignFromSuperusers(client, roles.owner.name);
    } finally {
      await client.query("SELECT pg_advisory_unlock(727276)").catch(() => {});
    }
  });
  return { ownerUrl: urlFor(superuserUrl, roles.owner), appUrl: urlFor(superuserUrl, roles.app) };
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
    // Same options as lib/jobs/queue.ts (the first createQueue wins; later calls change nothing).
    await boss.createQueue("clustering", { name: "clustering", retryLimit: 0, expireInSeconds: 23 * 3600 });
  } finally {
    await boss.stop({ graceful: false, wait: true, close: true });
  }
}

/**
 * The app role's rights, granted by schema as the owner after every migration run, so tables a
 * later migration adds are covered (ALTER DEFAULT PRIVILEGES covers tables created in between).
 */
export async function grantAppRole(ownerUrl: string, appRole: string) {
  await withClient(ownerUrl, async (client) => {
    const owner = roleOf(ownerUrl);
    const app = ident(appRole);
    const schemas = await client.query<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = $1)
         AND nspname NOT LIKE 'pg\\_%' AND nspname <> ALL($2::text[])`,
      [owner, NOT_APP_SCHEMAS],
    );
    await client.query("BEGIN");
    for (const { nspname } of schemas.rows) {
      const s = ident(nspname);
      await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${app}`);
      await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${app}`);
      await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${app}`);
      await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(owner)} IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app}`);
      await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(owner)} IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${app}`);
    }
    // The audit ledger: read and append, nothing else (the trigger refuses UPDATE/DELETE too).
    const ledger = ident(LEDGER_SCHEMA);
    await client.query(`GRANT USAGE ON SCHEMA ${ledger} TO ${app}`);
    await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${ledger} FROM ${app}, PUBLIC`);
    await client.query(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA ${ledger} TO ${app}`);
    await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${ledger} TO ${app}`);
    await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(owner)} IN SCHEMA ${ledger} GRANT SELECT, INSERT ON TABLES TO ${app}`);
    // The job queue: rows only (pg-boss's functions write rows; DDL stays with the owner).
    const queue = ident(QUEUE_SCHEMA);
    await client.query(`GRANT USAGE ON SCHEMA ${queue} TO ${app}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${queue} TO ${app}`);
    await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${queue} TO ${app}`);
    await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${queue} TO ${app}`);
    await client.query("COMMIT");
  });
}

/** Migrations, the queue schema and the app role's grants, all as the owner role. */
export async function migrateAsOwner(ownerUrl: string, appRole: string, log: (m: string) => void = () => {}) {
  const applied = await runMigrations(ownerUrl, undefined, log);
  await installQueue(ownerUrl);
  await grantAppRole(ownerUrl, appRole);
  return applied;
}
