-- Least-privilege roles (lib/db/roles.ts). Migrations run as the owner role; the app role's
-- grants are applied by schema after every migration run (they name a role this file cannot
-- know). What can be said without naming roles is said here.

-- pg-boss's schema belongs to the owner, who installs and migrates the queue; the app role
-- only moves rows in it.
CREATE SCHEMA IF NOT EXISTS "pgboss";

-- Nobody but the granted roles reads or writes the ledger (PUBLIC has no business there).
REVOKE ALL ON ALL TABLES IN SCHEMA "ledger" FROM PUBLIC;
REVOKE CREATE ON SCHEMA "ledger" FROM PUBLIC;

-- PostgreSQL 15+ already refuses CREATE in "public" to PUBLIC; older servers did not.
REVOKE CREATE ON SCHEMA "public" FROM PUBLIC;
