// The supervisor with real child processes: a crashed child is restarted with growing delays
// and a reason in the log; too many crashes in the window end in onGiveUp; stop() is quiet.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { restartDelay, supervise, type RestartPolicy } from "./supervisor";

const fast: RestartPolicy = { initialDelayMs: 50, maxDelayMs: 400, maxCrashes: 3, windowMs: 10_000 };
const crashing = () => spawn(process.execPath, ["-e", "process.exit(3)"]);
const lasting = () => spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);

describe("supervise", () => {
  it("restarts a crashed child with backoff, says why, and gives up after maxCrashes in the window", async () => {
    const log: string[] = [];
    let starts = 0;
    const reason = await new Promise<string>((onGiveUp) =>
      supervise({ name: "the test server", spawn: () => (starts++, crashing()), policy: fast, log: (m) => log.push(m), onGiveUp }),
    );
    expect(starts).toBe(3);
    expect(log[0]).toBe("the test server exited with code 3; restarting in 50 ms");
    expect(log[1]).toBe("the test server exited with code 3; restarting in 100 ms");
    expect(reason).toMatch(/the test server exited with code 3, its 3th crash within 10 s; giving up/);
  });

  it("names the signal that killed the child and serves again after the restart", async () => {
    const log: string[] = [];
    const supervised = supervise({ name: "the web server", spawn: lasting, policy: fast, log: (m) => log.push(m), onGiveUp: () => {} });
    const first = supervised.pid()!;
    process.kill(first, "SIGKILL");
    await expect.poll(() => supervised.pid(), { timeout: 5_000 }).not.toBe(first);
    await expect.poll(() => supervised.pid(), { timeout: 5_000 }).not.toBeNull();
    expect(log).toEqual(["the web server exited with signal SIGKILL; restarting in 50 ms"]);
    await supervised.stop();
    expect(log).toHaveLength(1); // a requested stop is not a crash
  });

  it("doubles the delay up to the maximum", () => {
    expect([1, 2, 3, 4, 5].map((n) => restartDelay(fast, n))).toEqual([50, 100, 200, 400, 400]);
  });
});
