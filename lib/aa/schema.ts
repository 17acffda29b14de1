import pg from "pg";

/**
 * An attribute authority's own database (one per AA service, never shared with another party):
 * its namespaces, its master secrets (alpha_i, gamma_i) per attribute and key version sealed
 * under its own key-encryption key, the keys it issued, the party tokens it accepted once, and its
 * own transparency log (lib/aa/log.ts): hash-chained entries and their RFC 9162 Merkle tree,
 * append-only like the portal's ledger. Run by the owner role at every start (idempotent); the
 * service's role gets rows only.
 */
const DDL = [
  `CREATE SCHEMA IF NOT EXISTS aa`,
  `CREATE TABLE IF NOT EXISTS aa.namespaces (
     code text PRIMARY KEY,
     created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS aa.key_versions (
     attribute text NOT NULL,
     version integer NOT NULL CHECK (version >= 1),
     vk bytea NOT NULL,
     sealed_secret bytea NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now(),
     retired_at timestamptz,
     PRIMARY KEY (attribute, version))`,
  `CREATE TABLE IF NOT EXISTS aa.issued_keys (
     id bigserial PRIMARY KEY,
     attribute text NOT NULL,
     version integer NOT NULL,
     gid text NOT NULL,
     wrap_key text NOT NULL,
     issued_at timestamptz NOT NULL DEFAULT now(),
     FOREIGN KEY (attribute, version) REFERENCES aa.key_versions (attribute, version))`,
  `CREATE TABLE IF NOT EXISTS aa.token_nonces (
     nonce text PRIMARY KEY,
     expires_at timestamptz NOT NULL)`,
  // The AA's log: the same entry shape and chain as the portal's ledger.audit_entries (lib/ledger/canonical.ts).
  `CREATE TABLE IF NOT EXISTS aa.log_entries (
     seq bigint PRIMARY KEY CHECK (seq >= 1),
     at timestamptz(3) NOT NULL,
     actor_id text,
     action text NOT NULL,
     subject_type text NOT NULL,
     subject_id text,
     data jsonb NOT NULL,
     prev_hash text NOT NULL,
     hash text NOT NULL UNIQUE)`,
  `CREATE TABLE IF NOT EXISTS aa.log_nodes (
     level smallint NOT NULL,
     index bigint NOT NULL,
     hash bytea NOT NULL,
     PRIMARY KEY (level, index))`,
  // Append-only whoever asks, the owner included (as ledger.refuse_change in prisma/migrations/0001).
  `CREATE OR REPLACE FUNCTION aa.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     RAISE EXCEPTION 'aa.% is append-only (% refused)', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
   END;
   $$`,
  ...["log_entries", "log_nodes"].flatMap((table) => [
    `CREATE OR REPLACE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON aa.${table} FOR EACH ROW EXECUTE FUNCTION aa.refuse_change()`,
    `CREATE OR REPLACE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON aa.${table} FOR EACH STATEMENT EXECUTE FUNCTION aa.refuse_change()`,
  ]),
];

/** Creates or updates the AA's tables as `ownerUrl`'s role and grants `serviceRole` what it needs. */
export async function migrateAaDatabase(ownerUrl: string, serviceRole: string) {
  const client = new pg.Client({ connectionString: ownerUrl, application_name: "medshare-setup" });
  await client.connect();
  const role = client.escapeIdentifier(serviceRole);
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(727277)");
    for (const statement of DDL) await client.query(statement);
    await client.query(`GRANT USAGE ON SCHEMA aa TO ${role}`);
    await client.query(`GRANT SELECT, INSERT ON aa.namespaces, aa.issued_keys TO ${role}`);
    // A key version is made once and retired once; its secret is never changed or deleted.
    await client.query(`GRANT SELECT, INSERT, UPDATE (retired_at) ON aa.key_versions TO ${role}`);
    await client.query(`GRANT SELECT, INSERT, DELETE ON aa.token_nonces TO ${role}`);
    // Its log: rows are added, never changed (the triggers refuse it to anyone; no grant allows it either).
    await client.query(`REVOKE UPDATE, DELETE, TRUNCATE ON aa.log_entries, aa.log_nodes FROM ${role}`);
    await client.query(`GRANT SELECT, INSERT ON aa.log_entries, aa.log_nodes TO ${role}`);
    await client.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA aa TO ${role}`);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}

/** Associated data of a sealed master secret: bound to its attribute and key version, so it cannot be moved to another row. */
export const secretAad = (attribute: string, version: number) => `medshare-attribute-secret:${attribute}:v${version}`;

const ident = (name: string) => pg.Client.prototype.escapeIdentifier(name);
const literal = (value: string) => pg.Client.prototype.escapeLiteral(value);

/** The database and roles of one AA service on a PostgreSQL where we hold the superuser (embedded, e2e, tests). */
export const aaDatabaseName = (service: string) => `medshare_aa_${service.toLowerCase().replace(/[^a-z0-9]/g, "_")}`;
export const aaRoleName = (service: string) => `${aaDatabaseName(service)}_service`;

/**
 * Creates (or updates) the AA's database, owned by `owner` (a role that is no superuser), and its
 * service's login role, which may connect to this database only. No other party's role may
 * connect to it, and the AA's role may not connect to theirs (CONNECT is revoked from PUBLIC on both).
 * Returns the owner's and the service's URLs on it.
 */
export async function provisionAaDatabase(
  superuserUrl: string,
  service: string,
  owner: { name: string; password: string },
  servicePassword: string,
  names: { database: string; role: string } = { database: aaDatabaseName(service), role: aaRoleName(service) },
) {
  const { database, role } = names;
  const client = new pg.Client({ connectionString: superuserUrl, application_name: "medshare-setup" });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock(727276)");
    try {
      const exists = (await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount;
      const attributes = "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS";
      await client.query(`${exists ? "ALTER" : "CREATE"} ROLE ${ident(role)} WITH ${attributes} PASSWORD ${literal(servicePassword)}`);
      if (!(await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])).rowCount)
        await client.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(owner.name)}`);
      await client.query(`ALTER DATABASE ${ident(database)} OWNER TO ${ident(owner.name)}`);
      await client.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
      await client.query(`GRANT CONNECT ON DATABASE ${ident(database)} TO ${ident(role)}`);
    } finally {
      await client.query("SELECT pg_advisory_unlock(727276)").catch(() => {});
    }
  } finally {
    await client.end();
  }
  const at = (name: string, password: string) => {
    const u = new URL(superuserUrl);
    u.username = encodeURIComponent(name);
    u.password = encodeURIComponent(password);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const ownerUrl = at(owner.name, owner.password);
  const url = at(role, servicePassword);
  await migrateAaDatabase(ownerUrl, role);
  return { ownerUrl, url };
}
