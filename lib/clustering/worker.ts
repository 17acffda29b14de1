import "server-only";
import { settings } from "@/lib/config/env";
import { isDatabaseUnreachable, noteDatabaseReachable, noteDatabaseUnreachable } from "@/lib/db/outage";
import { processRun } from "./process";
import { recoverRuns } from "./recover";
import { CLUSTERING_QUEUE, queue, type ClusteringJob } from "./queue";

/**
 * The clustering job worker. `npm start`, `npm run dev` and the e2e server run it as its own
 * process (scripts/worker.ts, supervised by scripts/worker-process.ts) and start the Next server
 * with MEDSHARE_WORKER=off: SEAL's single-threaded WebAssembly keeps its process busy for up to
 * seconds at a time, which must not be the web server's. Without that (e.g. `next start` run by
 * hand) instrumentation.ts starts it inside the Next server. More machines: run more worker
 * processes against the same database. One run at a time per process.
 */
const RECOVER_EVERY_MS = 30_000;
const globalForWorker = globalThis as unknown as { medshareWorker?: Promise<boolean> };

export function workerEnabled(): boolean {
  const { DATABASE_URL, MEDSHARE_WORKER } = settings();
  if (!DATABASE_URL) return false;
  if (process.env.NEXT_PHASE === "phase-production-build") return false; // set by Next itself, not an operator
  return MEDSHARE_WORKER !== "off";
}

/** Starts the worker once per process; resolves to whether it is running. */
export function startWorker(): Promise<boolean> {
  if (!workerEnabled()) return Promise.resolve(false);
  globalForWorker.medshareWorker ??= (async () => {
    const boss = await queue();
    await boss.work<ClusteringJob>(CLUSTERING_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
      const outcome = await processRun(job.data.runId);
      if (outcome.status !== "SKIPPED") console.log(`[jobs] clustering run ${job.data.runId}: ${outcome.status}`);
    });
    const recover = () =>
      recoverRuns()
        .then((r) => {
          const moved = [...r.resent, ...r.requeued, ...r.failed, ...r.cancelled];
          if (moved.length) console.log("[jobs] recovered clustering runs:", JSON.stringify(r));
        })
        .then(noteDatabaseReachable)
        .catch((error) => {
          // An outage is one line per outage; anything else by kind and message (no rows, no stack).
          if (isDatabaseUnreachable(error)) return noteDatabaseUnreachable();
          console.error(`[jobs] recovering runs failed: ${(error as Error)?.name}: ${(error as Error)?.message}`);
        });
    await recover();
    setInterval(recover, RECOVER_EVERY_MS).unref();
    console.log("[jobs] clustering worker started");
    return true;
  })().catch((error) => {
    globalForWorker.medshareWorker = undefined;
    console.error("[jobs] the clustering worker did not start:", error);
    return false;
  });
  return globalForWorker.medshareWorker;
}
