import { defineConfig, devices } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./e2e/fixtures/chromium";

const port = Number(process.env.E2E_PORT ?? 3100);

/**
 * Journeys that change what every other journey relies on: the CSP taken down mid-upload
 * (parties), the authority's ledger rewritten and rolled back as a superuser (security-db).
 * They run alone, after the others.
 */
const ALONE = ["parties.spec.ts", "security-db.spec.ts"];
/** Reads the server's whole log for patient data and secrets: once every other journey has run. */
const LAST = ["server-logs.spec.ts"];

export default defineConfig({
  testDir: "e2e",
  // Two journeys at a time (one per core: each waits on its browser, the services or the
  // database most of the time); the timeouts allow for sharing the machine.
  timeout: 240_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: ".data/test-results/playwright.json" }]],
  use: {
    baseURL: `http://localhost:${port}`,
    // A trace is kept only for a failing journey; without its screencast (a JPEG per frame,
    // encoded by the browser process): 15% of the suite's CPU on two cores, measured on three
    // journey files (231 -> 195 CPU s). DOM snapshots, network and console stay in the trace.
    trace: { mode: "retain-on-failure", screenshots: false },
    screenshot: "only-on-failure",
    ...devices["Desktop Chrome"],
    launchOptions: {
      // Debian's Chromium, never a downloaded browser; Playwright's own one elsewhere if installed.
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    },
  },
  projects: [
    { name: "journeys", testIgnore: [...ALONE, ...LAST] },
    { name: "alone", testMatch: ALONE, workers: 1, dependencies: ["journeys"] },
    { name: "logs", testMatch: LAST, workers: 1, dependencies: ["alone"] },
  ],
  webServer: {
    command: "npx tsx --conditions=react-server scripts/e2e-server.ts",
    url: `http://localhost:${port}/login`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: { E2E_PORT: String(port) },
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
  },
});
