import pg from "pg";

export class SuperuserConnectionError extends Error {}

/**
 * The web server refuses to run as a superuser: a superuser can switch the ledger's trigger off
 * and rewrite history, so a compromised server must not hold one. Connection failures are
 * thrown as they are (the caller decides whether a database that is down stops the start).
 */
export async function assertNotSuperuser(url: string) {
  const client = new pg.Client({ connectionString: url, application_name: "medshare-startup-check" });
  await client.connect();
  let row: { rolname: string; rolsuper: boolean } | undefined;
  try {
    row = (await client.query<{ rolname: string; rolsuper: boolean }>("SELECT rolname, rolsuper FROM pg_roles WHERE rolname = current_user")).rows[0];
  } finally {
    await client.end();
  }
  if (row?.rolsuper)
    throw new SuperuserConnectionError(
      `DATABASE_URL connects as the PostgreSQL superuser "${row.rolname}". MedShare's server must use a least-privilege role: ` +
        "give each service its party's role (MEDSHARE_AUTHORITY_DATABASE_URL, MEDSHARE_CSP_DATABASE_URL, MEDSHARE_CLUSTERING_DATABASE_URL; see docs/DEPLOY.md), or start with `npm start`.",
    );
}
