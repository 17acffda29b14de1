// The clustering job worker as its own process (lib/clustering/worker.ts): `npm start`, `npm run dev`
// and the e2e server run it beside the Next server through scripts/worker-process.ts. It is the
// CSP's evaluator: DATABASE_URL (the clustering role), MEDSHARE_AUTHORITY_URL (the key holder) and
// MEDSHARE_CSP_LOG_SIGNING_KEY (its calls there); no KEK, no secret key (lib/db/bootstrap.ts partyEnvs).
import { stopQueue } from "@/lib/clustering/queue";
import { flushCheckpoint } from "@/lib/ledger/checkpoint";
import { startWorker } from "@/lib/clustering/worker";

if (!(await startWorker())) {
  console.error("[jobs] worker process: not started (DATABASE_URL unset, MEDSHARE_WORKER=off, or the queue is unreachable)");
  process.exit(1);
}
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  // A run in progress is left RUNNING: its heartbeat goes stale and recoverRuns re-queues it.
  await stopQueue().catch(() => {});
  await flushCheckpoint(); // a run's last entries are signed now, not 2 s later by a process that is gone
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
// Supervised (scripts/worker-process.ts): stdin is a pipe from the parent; it closes when the parent dies.
if (process.env.MEDSHARE_WORKER_SUPERVISED === "1") {
  process.stdin.on("end", () => void stop());
  process.stdin.on("error", () => void stop());
  process.stdin.resume();
}
