import "server-only";
import { db } from "@/lib/db/client";

/**
 * The worker's heartbeat: every iteration writes the run's progress and touches heartbeat_at,
 * on the condition that the worker's attempt is still the run's current one. A run taken over
 * by recoverRuns (./recover.ts) makes the write miss: the old worker stops without writing
 * anything (RunSuperseded). A requested cancellation is read back in the same step.
 */

/** The run as claimed by this worker: every write requires this attempt to still be current. */
export type Mine = { id: string; attempts: number; status: "RUNNING" };

/** The run's cancellation was requested: the worker stops and records CANCELLED. */
export class RunCancelled extends Error {}
/** Another worker took the run over: this one stops and writes nothing. */
export class RunSuperseded extends Error {}

/** Progress update + heartbeat; also tells the worker whether the run was cancelled or taken over. */
export async function beat(mine: Mine, data: { iteration?: number; progress?: number; cspMs?: number; keyHolderMs?: number }) {
  const changed = await db().clusteringRun.updateMany({ where: mine, data: { ...data, heartbeatAt: new Date() } });
  if (changed.count !== 1) throw new RunSuperseded();
  return db().clusteringRun.findUniqueOrThrow({ where: { id: mine.id }, select: { cancelRequested: true } });
}
