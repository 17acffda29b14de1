/**
 * `npm start` as an operator runs it, in its own data folder and ports (3323, PostgreSQL 3324):
 * a killed web server is restarted and says so (it used to end everything with exit 0 and no
 * word); with the database down, signed-in API calls answer 503 (not 403) and the log gets one
 * line per outage instead of a stack trace per request; Ctrl-C still stops it all with exit 0.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { expect, test } from "./fixtures/test";
import { environ, send } from "./fixtures/attacks";
import { newApplicant, register, signIn } from "./fixtures/helpers";

const port = Number(process.env.SUPERVISOR_TEST_PORT ?? 3323);
const pgPort = Number(process.env.SUPERVISOR_TEST_PG_PORT ?? 3324);
// The CSP's service on a known port of its own (npm start would otherwise take a free one).
const cspPort = Number(process.env.SUPERVISOR_TEST_CSP_PORT ?? 3325);
const base = `http://localhost:${port}`;
const dataDir = path.resolve(".data", `supervisor-test-${process.pid}`);
// npm start rewrites it whole (lib/config/write-atomic.ts); it was once read half-written here
const runFile = () => JSON.parse(readFileSync(path.join(dataDir, "run.json"), "utf8")) as { web: number; csp: number; worker: number; launcher: number };

let launcher: ChildProcess;
let output = "";

async function serving(): Promise<boolean> {
  return fetch(`${base}/login`).then(
    (r) => r.ok,
    () => false,
  );
}

test.describe.configure({ mode: "serial", timeout: 300_000 });
test.use({ baseURL: base });

test.beforeAll(async () => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    MEDSHARE_DATA_DIR: dataDir,
    MEDSHARE_PG_PORT: String(pgPort),
    MEDSHARE_CSP_PORT: String(cspPort),
  };
  for (const name of ["DATABASE_URL", "NEXTAUTH_SECRET", "NEXTAUTH_URL", "MEDSHARE_KEK", "NEXT_TELEMETRY_DISABLED"]) delete env[name];
  launcher = spawn("npm", ["start"], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  launcher.stdout!.on("data", (d) => (output += d));
  launcher.stderr!.on("data", (d) => (output += d));
  await expect.poll(serving, { timeout: 180_000, intervals: [500] }).toBe(true);
});

test.afterAll(async () => {
  if (launcher.exitCode === null && launcher.signalCode === null) process.kill(-launcher.pid!, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

test("the banner names the real port, and next-server (the portal's and the CSP's) and the worker run with telemetry off", async () => {
  expect(output).toContain(`MedShare is running at http://localhost:${port}`);
  const { web, csp, worker } = runFile();
  expect(environ(web).NEXT_TELEMETRY_DISABLED).toBe("1");
  expect(csp).toBeTruthy();
  expect(environ(csp).NEXT_TELEMETRY_DISABLED).toBe("1");
  expect(environ(worker).NEXT_TELEMETRY_DISABLED).toBe("1");
});

test("a killed next-server is restarted, with the reason in the log", async () => {
  const killed = runFile().web;
  process.kill(killed, "SIGKILL");
  await expect.poll(() => output, { timeout: 10_000 }).toContain("the web server exited with signal SIGKILL; restarting in 2 s");
  await expect.poll(() => runFile().web, { timeout: 30_000 }).not.toBe(killed);
  await expect.poll(serving, { timeout: 60_000, intervals: [500] }).toBe(true);
  expect(launcher.exitCode).toBeNull();
});

test("with the database down: 503 not 403, pages say so, and the log gets a line, not a stack trace per request", async ({ page }) => {
  const person = newApplicant("Outage");
  await register(page, person, "Hospital staff");
  await signIn(page, person.email, person.password);
  await expect(page).toHaveURL(/\/pending$/);
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  expect((await send(`${base}/api/public-keys`, { headers: { cookie } })).status).toBe(403); // pending: really not allowed

  const postmaster = Number(readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  process.kill(postmaster, "SIGINT"); // PostgreSQL's fast shutdown
  await expect
    .poll(
      () => {
        try {
          process.kill(postmaster, 0);
          return "running";
        } catch {
          return "stopped";
        }
      },
      { timeout: 20_000 },
    )
    .toBe("stopped");
  const logBefore = output.split("\n").length;

  for (let i = 0; i < 30; i++) {
    const reply = await send(`${base}/api/public-keys`, { headers: { cookie } });
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body).error.code).toBe("UNAVAILABLE");
    await new Promise((r) => setTimeout(r, 100));
  }
  // Pages send people to /unavailable (a 307, or Next's in-stream redirect once the layout has streamed).
  const pageReply = await send(`${base}/pending`, { headers: { cookie } });
  expect(pageReply.headers.location ?? pageReply.body).toContain("/unavailable");
  await page.goto("/pending");
  await expect(page.getByRole("heading", { name: "MedShare is temporarily unavailable" })).toBeVisible();

  const newLines = output
    .split("\n")
    .slice(logBefore - 1)
    .filter((l) => l.trim());
  expect(newLines.length, newLines.join("\n")).toBeLessThanOrEqual(6);
  expect(newLines.join("\n")).toContain("the database is unreachable");
  expect(newLines.join("\n")).not.toMatch(/\n\s+at /); // no stack trace
});

test("SIGTERM stops everything cleanly with exit 0 and no restart", async () => {
  // Sent to the launcher itself: a Ctrl-C through `npm start` ends with npm's own signal status.
  const { web, launcher: launcherPid } = runFile();
  const exited = new Promise<number | null>((resolve) => launcher.once("exit", (code) => resolve(code)));
  process.kill(launcherPid, "SIGTERM");
  expect(await exited).toBe(0);
  const gone = (pid: number) => {
    try {
      process.kill(pid, 0);
      return "running";
    } catch {
      return "stopped";
    }
  };
  await expect.poll(() => gone(web), { timeout: 15_000 }).toBe("stopped");
  expect(output).not.toContain("giving up");
  expect(output).not.toMatch(/web server exited with signal SIGTERM/);
});
