// Runs scripts/worker.ts as a child process beside the Next server and restarts it if it dies
// (a run it was processing is re-queued by recoverRuns once its heartbeat is stale).
import { spawn, type ChildProcess } from "node:child_process";

const RESTART_DELAY_MS = 3_000;

/** Next's CLI, run with this node directly (through npx, a SIGTERM would stop npx and leave the server running). */
export const NEXT_BIN = "node_modules/next/dist/bin/next";

export type WorkerProcess = { stop(): void };

export function superviseWorker(env: NodeJS.ProcessEnv, output?: (chunk: Buffer) => void): WorkerProcess {
  let child: ChildProcess | null = null;
  let stopped = false;
  const start = () => {
    // One node process (tsx as a loader, no npx/tsx wrapper in between), so signals reach it
    // directly; its stdin is a pipe from here, and it stops when the pipe closes (this process died).
    child = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/worker.ts"], {
      stdio: ["pipe", output ? "pipe" : "inherit", output ? "pipe" : "inherit"],
      env: { ...env, MEDSHARE_WORKER: "on", MEDSHARE_WORKER_SUPERVISED: "1" },
    });
    if (output) {
      child.stdout!.on("data", output);
      child.stderr!.on("data", output);
    }
    child.on("exit", (code, signal) => {
      child = null;
      if (stopped) return;
      console.error(`[medshare] the clustering worker stopped (${signal ?? `exit ${code}`}); restarting in ${RESTART_DELAY_MS / 1000} s`);
      setTimeout(() => void (stopped || start()), RESTART_DELAY_MS).unref();
    });
  };
  start();
  return {
    stop() {
      stopped = true;
      child?.kill("SIGTERM");
    },
  };
}

/** The Next server's environment when a worker process runs beside it. */
export const webEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...env, MEDSHARE_WORKER: "off" });

/** Whether to run a worker process at all (MEDSHARE_WORKER=off turns clustering jobs off everywhere). */
export const workerWanted = (env: NodeJS.ProcessEnv) => env.MEDSHARE_WORKER !== "off";
