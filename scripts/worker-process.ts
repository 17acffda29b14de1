// Runs scripts/worker.ts as a child process beside the Next server and restarts it if it dies
// (a run it was processing is re-queued by recoverRuns once its heartbeat is stale).
import { spawn } from "node:child_process";
import { supervise, type RestartPolicy, type Supervised } from "./supervisor";

/** Next's CLI, run with this node directly (through npx, a SIGTERM would stop npx and leave the server running). */
export const NEXT_BIN = "node_modules/next/dist/bin/next";

/** A medical product sends nothing out: every `next` command runs with telemetry off. */
export const withoutTelemetry = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...env, NEXT_TELEMETRY_DISABLED: "1" });

export type WorkerProcess = Supervised;

export type WorkerOptions = {
  output?: (chunk: Buffer) => void;
  policy?: RestartPolicy;
  onGiveUp?: (reason: string) => void;
};

export function superviseWorker(env: NodeJS.ProcessEnv, opts: WorkerOptions = {}): WorkerProcess {
  const { output } = opts;
  return supervise({
    name: "the clustering worker",
    policy: opts.policy,
    onGiveUp: opts.onGiveUp ?? (() => {}),
    spawn: () => {
      // One node process (tsx as a loader, no npx/tsx wrapper in between), so signals reach it
      // directly; its stdin is a pipe from here, and it stops when the pipe closes (this process died).
      const child = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/worker.ts"], {
        stdio: ["pipe", output ? "pipe" : "inherit", output ? "pipe" : "inherit"],
        env: withoutTelemetry({ ...env, MEDSHARE_WORKER: "on", MEDSHARE_WORKER_SUPERVISED: "1" }),
      });
      if (output) {
        child.stdout!.on("data", output);
        child.stderr!.on("data", output);
      }
      child.stdin!.on("error", () => {}); // EPIPE when it died first
      return child;
    },
  });
}

/** The Next server's environment when a worker process runs beside it. */
export const webEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => withoutTelemetry({ ...env, MEDSHARE_WORKER: "off" });

/** Whether to run a worker process at all (MEDSHARE_WORKER=off turns clustering jobs off everywhere). */
export const workerWanted = (env: NodeJS.ProcessEnv) => env.MEDSHARE_WORKER !== "off";
