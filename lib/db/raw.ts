import "server-only";
import pg from "pg";
import { settings } from "@/lib/config/env";

/**
 * A plain node-postgres pool beside Prisma's, on the same connection string (the same role),
 * for bulk byte writes only. node-postgres sends a Buffer parameter in binary; Prisma's driver
 * adapter passes bytes through its query engine as base64 and a bytea[] as hex text. Measured
 * here (embedded PostgreSQL, 21 feature ciphertexts of 393 KB in one INSERT): Prisma unnest
 * 440-1,180 ms, Prisma VALUES 330-520 ms, node-postgres VALUES 80-140 ms.
 */
const globalForRaw = globalThis as unknown as { medshareRawPool?: pg.Pool };

function rawPool(): pg.Pool {
  if (!globalForRaw.medshareRawPool) {
    const pool = new pg.Pool({ connectionString: settings().DATABASE_URL, max: 4, idleTimeoutMillis: 30_000, application_name: "medshare-bulk" });
    // An idle connection the server ends (restart, shutdown) must not take the process with it.
    pool.on("error", () => {});
    globalForRaw.medshareRawPool = pool;
  }
  return globalForRaw.medshareRawPool;
}

/** Runs `work` in one transaction on a pooled connection: committed if it returns, rolled back if it throws. */
export async function rawTransaction<R>(work: (client: pg.PoolClient) => Promise<R>, { timeoutMs }: { timeoutMs: number }): Promise<R> {
  const client = await rawPool().connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
