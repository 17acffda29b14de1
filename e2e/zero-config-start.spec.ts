import { expect, test } from "./fixtures/test";
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { newApplicant, register, signIn } from "./fixtures/helpers";

// `npm start` with no configuration at all: embedded PostgreSQL in a fresh data folder,
// generated secrets, the built app. Stopping and starting again keeps the accounts.
const port = Number(process.env.ZERO_CONFIG_PORT ?? 3210);
const dataDir = path.resolve(".data", `start-test-${process.pid}`);

function start(): Promise<{ child: ChildProcess; output: () => string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    MEDSHARE_DATA_DIR: dataDir,
    MEDSHARE_PG_PORT: process.env.ZERO_CONFIG_PG_PORT ?? "55439",
  };
  delete env.DATABASE_URL;
  delete env.NEXTAUTH_SECRET;
  delete env.NEXTAUTH_URL;
  delete env.MEDSHARE_KEK;
  const child = spawn("npm", ["start"], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 120_000;
    const poll = async () => {
      try {
        const r = await fetch(`http://localhost:${port}/login`);
        if (r.ok) return resolve({ child, output: () => out });
      } catch {
        /* not up yet */
      }
      if (child.exitCode !== null || Date.now() > deadline) return reject(new Error(`npm start did not come up:\n${out}`));
      setTimeout(poll, 500);
    };
    void poll();
  });
}

async function stop(child: ChildProcess) {
  const exited = new Promise((r) => child.once("exit", r));
  process.kill(-child.pid!, "SIGINT");
  await exited;
}

test.describe.configure({ timeout: 300_000 });
test.use({ baseURL: `http://localhost:${port}` });

test.afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test("npm start needs no configuration and keeps accounts across restarts", async ({ page }) => {
  const first = await start();
  expect(first.output()).toContain(`MedShare is running at http://localhost:${port}`);
  expect(first.output()).toMatch(/register\?setup=[\w-]+/); // one-time link for the first admin
  const person = newApplicant("Restart");
  await page.goto(`http://localhost:${port}/register`);
  await expect(page.getByRole("heading", { name: "Register with MedShare" })).toBeVisible();
  await register(page, { ...person }, "Hospital staff").catch(async (e) => {
    throw new Error(`${e}\n${first.output()}`);
  });
  await stop(first.child);

  const second = await start();
  await page.goto(`http://localhost:${port}/login`);
  await signIn(page, person.email, person.password);
  await expect(page).toHaveURL(new RegExp(`localhost:${port}/pending$`));
  await stop(second.child);
});
