import "server-only";
import PgBoss from "pg-boss";
import { settings } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { isDatabaseUnreachable, noteDatabaseUnreachable } from "@/lib/db/outage";

/**
 * The job queue: pg-boss in its own schema ("pgboss") of the application's database, so jobs
 * and the rows they work on share one PostgreSQL (DESIGN.md "Scale path": more workers = more
 * processes against the same queue). A job carries only a run id.
 */
export const CLUSTERING_QUEUE = "clustering";
export type ClusteringJob = { runId: string };

const globalForBoss = globalThis as unknown as { medshareBoss?: Promise<PgBoss> };

/**
 * pg-boss reports every failed poll: during a database outage that is one note per outage, and
 * otherwise the error's kind and message only (the error object holds the pg client, config included).
 */
function logQueueError(error: Error) {
  if (isDatabaseUnreachable(error)) return noteDatabaseUnreachable();
  console.error(`[jobs] pg-boss: ${error.name}: ${error.message}`);
}

async function startBoss(): Promise<PgBoss> {
  const connectionString = settings().DATABASE_URL;
  if (!connectionString) throw new Error("DATABASE_URL is not set.");
  const boss = new PgBoss({ connectionString, schema: "pgboss", max: 4 });
  boss.on("error", logQueueError);
  await boss.start();
  // Failures are recorded on the run itself (FAILED + reason), so pg-boss does not retry;
  // a run left behind by a dead worker is recovered by recoverRuns() (./recover.ts).
  await boss.createQueue(CLUSTERING_QUEUE, { name: CLUSTERING_QUEUE, retryLimit: 0, expireInSeconds: 23 * 3600 });
  return boss;
}

/** The process's pg-boss instance, started on first use. */
export function queue(): Promise<PgBoss> {
  globalForBoss.medshareBoss ??= startBoss().catch((error) => {
    globalForBoss.medshareBoss = undefined;
    throw error;
  });
  return globalForBoss.medshareBoss;
}

export async function enqueueRun(runId: string): Promise<string | null> {
  const boss = await queue();
  return boss.send(CLUSTERING_QUEUE, { runId } satisfies ClusteringJob, { retryLimit: 0 });
}

/** Whether any job for this run is waiting or being worked on (pg-boss's job table, read only). */
export async function hasLiveJob(runId: string): Promise<boolean> {
  await queue(); // the pgboss schema exists once pg-boss has started
  const rows = await db().$queryRaw<unknown[]>`
    SELECT 1 FROM pgboss.job
    WHERE name = ${CLUSTERING_QUEUE} AND data->>'runId' = ${runId} AND state::text IN ('created', 'retry', 'active')
    LIMIT 1`;
  return rows.length > 0;
}

export async function stopQueue(): Promise<void> {
  const pending = globalForBoss.medshareBoss;
  globalForBoss.medshareBoss = undefined;
  if (pending) await (await pending).stop({ graceful: false, wait: true, close: true });
}
