import "server-only";
import { processRun, recoverRuns } from "./clustering";
import { CLUSTERING_QUEUE, queue, type ClusteringJob } from "./queue";

/**
 * The in-process job worker (one machine: started by instrumentation.ts inside the Next server;
 * more machines: run more processes calling startWorker against the same database). SEAL runs
 * on this thread between awaits; one run at a time per process.
 */
const RECOVER_EVERY_MS = 30_000;
const globalForWorker = globalThis as unknown as { medshareWorker?: Promise<void> };

export function workerEnabled(): boolean {
  if (!process.env.DATABASE_URL) return false;
  if (process.env.NEXT_PHASE === "phase-production-build") return false;
  return process.env.MEDSHARE_WORKER !== "off";
}

export function startWorker(): Promise<void> {
  if (!workerEnabled()) return Promise.resolve();
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
        .catch((error) => console.error("[jobs] recovering runs failed:", error));
    await recover();
    setInterval(recover, RECOVER_EVERY_MS).unref();
    console.log("[jobs] clustering worker started");
  })().catch((error) => {
    globalForWorker.medshareWorker = undefined;
    console.error("[jobs] the clustering worker did not start:", error);
  });
  return globalForWorker.medshareWorker;
}
