// Keeps one child process running: restarts it with exponential backoff when it dies, says
// why, and gives up (so the launcher can exit non-zero) after too many crashes in a window.
import type { ChildProcess } from "node:child_process";

export type RestartPolicy = {
  /** First restart delay; doubles with every crash inside the window, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Give up after this many crashes within windowMs. */
  maxCrashes: number;
  windowMs: number;
};

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 2_000, maxDelayMs: 30_000, maxCrashes: 5, windowMs: 120_000 };

export type Supervised = {
  /** The running child's pid, or null between a crash and its restart. */
  pid(): number | null;
  /** Stops the child (SIGTERM, then SIGKILL after graceMs) and does not restart it. */
  stop(graceMs?: number): Promise<void>;
};

export type SuperviseOptions = {
  /** Who it is in log lines: "the web server", "the clustering worker". */
  name: string;
  spawn: () => ChildProcess;
  policy?: RestartPolicy;
  log?: (message: string) => void;
  /** Called once when the child crashed too often; it is not restarted again. */
  onGiveUp: (reason: string) => void;
  onStart?: (child: ChildProcess) => void;
};

const describeExit = (code: number | null, signal: NodeJS.Signals | null) => (signal ? `with signal ${signal}` : `with code ${code}`);
const seconds = (ms: number) => (ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`);

export function restartDelay(policy: RestartPolicy, recentCrashes: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, recentCrashes - 1));
}

export function supervise(opts: SuperviseOptions): Supervised {
  const policy = opts.policy ?? DEFAULT_RESTART_POLICY;
  const log = opts.log ?? ((m: string) => console.error(`[medshare] ${m}`));
  let child: ChildProcess | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const crashes: number[] = [];

  const start = () => {
    timer = null;
    if (stopped) return;
    const current = opts.spawn();
    child = current;
    opts.onStart?.(current);
    current.once("exit", (code, signal) => {
      if (child === current) child = null;
      // A Ctrl-C reaches the whole process group: give the launcher's own handler a moment to mark the stop.
      setTimeout(() => crashed(code, signal), 200).unref();
    });
  };

  const crashed = (code: number | null, signal: NodeJS.Signals | null) => {
    if (stopped) return;
    const now = Date.now();
    crashes.push(now);
    while (crashes.length && crashes[0] < now - policy.windowMs) crashes.shift();
    if (crashes.length >= policy.maxCrashes) {
      stopped = true;
      const reason = `${opts.name} exited ${describeExit(code, signal)}, its ${crashes.length}th crash within ${seconds(policy.windowMs)}; giving up`;
      log(reason);
      return opts.onGiveUp(reason);
    }
    const delay = restartDelay(policy, crashes.length);
    log(`${opts.name} exited ${describeExit(code, signal)}; restarting in ${seconds(delay)}`);
    timer = setTimeout(start, delay);
  };

  start();
  return {
    pid: () => child?.pid ?? null,
    async stop(graceMs = 10_000) {
      stopped = true;
      if (timer) clearTimeout(timer);
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
      running.kill("SIGTERM");
      const force = setTimeout(() => running.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(force);
    },
  };
}
