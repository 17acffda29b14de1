// Runs one attribute authority's service (scripts/aa.ts) as a child process and restarts it if it dies.
import { spawn } from "node:child_process";
import { supervise, type Supervised } from "./supervisor";
import { withoutTelemetry } from "./worker-process";

export function superviseAa(
  name: string,
  env: NodeJS.ProcessEnv,
  opts: { output?: (chunk: Buffer) => void; onGiveUp?: (reason: string) => void } = {},
): Supervised {
  const { output } = opts;
  return supervise({
    name: `the attribute authority ${name}`,
    onGiveUp: opts.onGiveUp ?? (() => {}),
    spawn: () => {
      const child = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/aa.ts"], {
        stdio: ["pipe", output ? "pipe" : "inherit", output ? "pipe" : "inherit"],
        env: withoutTelemetry({ ...env, MEDSHARE_AA_SUPERVISED: "1" }),
      });
      if (output) {
        child.stdout!.on("data", output);
        child.stderr!.on("data", output);
      }
      child.stdin!.on("error", () => {});
      return child;
    },
  });
}

/** Waits until the AA at `url` answers its health check (its first callers are the portal's first pages). */
export async function aaReady(url: string, timeoutMs = 60_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await fetch(`${url}/api/aa/health`, { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return true;
    await new Promise((resolve) => setTimeout(resolve, 250).unref());
  }
  return false;
}
