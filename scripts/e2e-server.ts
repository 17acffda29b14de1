// Serves the built app for Playwright on a fresh embedded PostgreSQL (own folder and port),
// seeded with one authority admin, split into the same services as `npm start`
// (scripts/services.ts): the portal on E2E_PORT, the CSP on E2E_PORT + 1000, the clustering
// worker. Removed again when Playwright stops it.
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { e2eLog, startE2eDatabase } from "./e2e-database";
import { startServices, type Services } from "./services";

const port = Number(process.env.E2E_PORT ?? 3100);
const cspPort = Number(process.env.E2E_CSP_PORT ?? port + 1000);

const db = await startE2eDatabase({ tag: String(process.pid), writeUrls: true });
// The attribute authorities HA1 and NRI on E2E_PORT + 2000, + 2001.
const aas = db.aas(Object.fromEntries(db.aaNames.map((name, i) => [name, port + 2000 + i])));
const envs = db.envs({
  portalUrl: `http://localhost:${port}`,
  cspUrl: `http://127.0.0.1:${cspPort}`,
  aaUrls: aas.map((aa) => `${aa.name}=${aa.url}`).join(","),
});

// The authority's party-token signing key, for e2e/parties.spec.ts: it signs valid tokens to
// show that the CSP refuses a replay or a token used beyond its scope (not only forged ones).
const signingKeyFile = path.resolve(".data", "e2e-party-signing-key");
writeFileSync(signingKeyFile, envs.authority!.MEDSHARE_PARTY_SIGNING_KEY!, { mode: 0o600 });

// Everything the server and the clustering worker log is also kept (e2e/server-logs.spec.ts).
const { keep, keepErr, note } = e2eLog("e2e-server.log");

// Which processes serve the journeys: e2e/security-transport.spec.ts reads their memory and environment.
const pidsFile = path.resolve(".data", `e2e-pids-${port}.json`);
let services: Services | null = null;
const writePids = () =>
  writeFileSync(
    pidsFile,
    JSON.stringify({
      gateway: process.pid,
      web: services?.authority?.next.pid() ?? null,
      csp: services?.csp?.next.pid() ?? null,
      csps: services?.csp?.replicas.map((r) => r.pid()) ?? [],
      cspPort,
      worker: services?.worker?.pid() ?? null,
      workers: services?.workers.map((w) => w.pid()) ?? [],
      aas: Object.fromEntries(services?.aas.map((a) => [a.name, { pid: a.process.pid(), url: a.url }]) ?? []),
    }),
    { mode: 0o600 },
  );
services = await startServices({
  envs,
  port,
  cspPort,
  output: { stdout: keep, stderr: keepErr },
  workerOutput: keep,
  log: note,
  onGiveUp: () => void stop(),
  onStart: writePids,
  // The journeys run against a scaled-out CSP: two web processes behind its gateway, two clustering workers.
  cspProcesses: 2,
  workers: 2,
  aas,
});
writePids();

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await services?.stop();
  await db.stop();
  rmSync(pidsFile, { force: true });
  rmSync(signingKeyFile, { force: true });
  process.exit(0);
}
// Test hook (e2e/parties.spec.ts "CSP down"): SIGUSR2 stops the CSP's service, the next
// SIGUSR2 starts it again on the same port. Outages one after the other, never overlapping.
let toggling: Promise<void> = Promise.resolve();
process.on("SIGUSR2", () => {
  toggling = toggling.then(async () => {
    if (!services || stopping) return;
    const up = services.csp !== null;
    keepErr(Buffer.from(`[medshare] test hook: ${up ? "stopping" : "starting"} the CSP service\n`));
    await (up ? services.stopCsp() : services.startCsp()).catch((e: Error) => keepErr(Buffer.from(`[medshare] test hook failed: ${e.message}\n`)));
    writePids();
  });
});
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
