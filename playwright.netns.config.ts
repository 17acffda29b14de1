// The split deployment on two "hosts" (issue #12): the authority and the CSP in two network
// namespaces linked by a veth pair (scripts/e2e-netns-server.ts, scripts/netns.ts), one
// journey against it (e2e-netns/). Needs root and iproute2; elsewhere it serves nothing and
// the journey skips, saying why. `npx playwright test -c playwright.netns.config.ts`
import { defineConfig, devices } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./e2e/fixtures/chromium";
import { freeOctet, netnsUnavailable, runId } from "./scripts/netns";

const port = Number(process.env.E2E_NETNS_PORT ?? 3601);
const cspPort = Number(process.env.E2E_NETNS_CSP_PORT ?? port + 1000);
const unavailable = netnsUnavailable();
// Chosen once, in the runner; its workers inherit them. The id starts with the runner's pid,
// so a later run can tell a namespace left by a killed run (scripts/netns.ts sweepStaleTopologies).
if (!unavailable) {
  process.env.E2E_NETNS_ID ??= runId();
  process.env.E2E_NETNS_OCTET ??= String(freeOctet());
}
const portal = `http://10.231.${process.env.E2E_NETNS_OCTET ?? 0}.2:${port}`;

export default defineConfig({
  testDir: "e2e-netns",
  timeout: 240_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: ".data/test-results/playwright-netns.json" }]],
  outputDir: "test-results/netns",
  use: {
    baseURL: portal,
    trace: { mode: "retain-on-failure", screenshots: false },
    screenshot: "only-on-failure",
    ...devices["Desktop Chrome"],
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [
        ...CHROMIUM_ARGS,
        // The portal is served over plain HTTP on a non-loopback address here; a deployment serves
        // it over TLS. The browser's secure-context APIs (crypto.randomUUID) need one of the two.
        `--unsafely-treat-insecure-origin-as-secure=${portal}`,
      ],
    },
  },
  webServer: unavailable
    ? undefined
    : {
        // node with tsx as a loader, not the tsx CLI: under load its signal relay SIGKILLs a child
        // that takes more than 30 ms to acknowledge SIGTERM, before the namespaces are removed.
        command: "node --import tsx --conditions=react-server scripts/e2e-netns-server.ts",
        // Not `url`: before the namespaces exist, that address is routed off this machine.
        wait: { stdout: /split hosts ready/ },
        timeout: 180_000,
        reuseExistingServer: false,
        stdout: "pipe",
        stderr: "pipe",
        env: { E2E_PORT: String(port), E2E_CSP_PORT: String(cspPort), E2E_NETNS_ID: process.env.E2E_NETNS_ID!, E2E_NETNS_OCTET: process.env.E2E_NETNS_OCTET! },
        gracefulShutdown: { signal: "SIGTERM", timeout: 20_000 },
      },
});
