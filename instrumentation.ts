/**
 * Next.js start-up hook: the clustering job worker runs inside the Node.js server
 * (lib/jobs/worker.ts). It does not start during `next build` or without DATABASE_URL
 * (startWorker checks both again, and MEDSHARE_WORKER=off).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    if (process.env.NEXT_PHASE === "phase-production-build" || !process.env.DATABASE_URL) return;
    const { startWorker } = await import("./lib/jobs/worker");
    await startWorker();
  }
}
