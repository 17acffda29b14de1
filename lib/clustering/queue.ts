import "server-only";
import { randomUUID } from "node:crypto";
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
  // Failures are recorded on the run itself (FAILED + reason), so pg-boss does not retry; a run
  // left behind by a dead worker is recovered by recoverRuns() (./recover.ts says why not pg-boss).
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

/**
 * Sends a run's job under an id chosen here and recorded on the run first (job_id), so the run
 * always names its current job: if the send fails after the record, hasLiveJob finds no such job
 * and recoverRuns sends another. A run that no longer exists gets no job (null).
 */
export async function enqueueRun(runId: string): Promise<string | null> {
  const boss = await queue();
  const jobId = randomUUID();
  const recorded = await db().clusteringRun.updateMany({ where: { id: runId }, data: { jobId } });
  if (recorded.count !== 1) return null;
  return boss.send(CLUSTERING_QUEUE, { runId } satisfies ClusteringJob, { id: jobId, retryLimit: 0 });
}

/** pg-boss states of a job still waiting or being worked on. */
const LIVE_STATES: ReadonlySet<string> = new Set(["created", "retry", "active"]);

/** Whether the run's current job (job_id) is waiting or being worked on, asked of pg-boss by id. */
export async function hasLiveJob(runId: string): Promise<boolean> {
  const run = await db().clusteringRun.findUnique({ where: { id: runId }, select: { jobId: true } });
  if (!run?.jobId) return false;
  const job = await (await queue()).getJobById<ClusteringJob>(CLUSTERING_QUEUE, run.jobId);
  return job !== null && LIVE_STATES.has(job.state);
}

export async function stopQueue(): Promise<void> {
  const pending = globalForBoss.medshareBoss;
  globalForBoss.medshareBoss = undefined;
  if (pending) await (await pending).stop({ graceful: false, wait: true, close: true });
}
