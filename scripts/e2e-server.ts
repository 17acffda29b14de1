// Serves the built app for Playwright on a fresh embedded PostgreSQL (own folder and port),
// seeded with one authority admin, split into the same services as `npm start`
// (scripts/services.ts): the portal on E2E_PORT, the CSP on E2E_PORT + 1000, the clustering
// worker. Removed again when Playwright stops it.
import { randomBytes } from "node:crypto";
import { createWriteStream, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startEmbeddedPostgres } from "@/lib/db/embedded";
import { partyEnvs, provisionFreshDatabase } from "@/lib/db/bootstrap";
import { createApprovedAccount } from "@/lib/portal/accounts";
import { E2E_ADMIN } from "@/e2e/fixtures/accounts";
import { startServices, type Services } from "./services";

const port = Number(process.env.E2E_PORT ?? 3100);
const cspPort = Number(process.env.E2E_CSP_PORT ?? port + 1000);
const dir = path.resolve(".data", `e2e-pg-${process.pid}`);
const password = randomBytes(18).toString("base64url");

const pg = await startEmbeddedPostgres({ dir, password });
// Each party runs as its own least-privilege role, like under `npm start` (lib/db/roles.ts).
const { urls } = await provisionFreshDatabase(pg.url);
process.env.DATABASE_URL = urls.authority;
// Signed ledger checkpoints of this run only, in a folder removed with it.
const ledgerDir = path.resolve(".data", `e2e-ledger-${process.pid}`);
process.env.MEDSHARE_LEDGER_DIR = ledgerDir;
process.env.MEDSHARE_LEDGER_SIGNING_KEY = randomBytes(32).toString("hex");
// Journeys that check the database afterwards read the URLs here: the superuser's for scans
// and attacks (e2e/fixtures/database.ts), each party's to compare with what the services use.
writeFileSync(path.resolve(".data", "e2e-database-url"), urls.authority, { mode: 0o600 });
writeFileSync(path.resolve(".data", "e2e-csp-database-url"), urls.csp, { mode: 0o600 });
writeFileSync(path.resolve(".data", "e2e-database-admin-url"), pg.url, { mode: 0o600 });
await createApprovedAccount({ ...E2E_ADMIN, kind: "AUTHORITY", role: "AUTHORITY_ADMIN", reason: "e2e" });

const secret = () => randomBytes(18).toString("base64url");
const envs = partyEnvs(
  {
    url: urls.authority,
    urls,
    ownerUrl: "",
    embedded: true,
    stop: async () => {},
    secrets: {
      nextauthSecret: randomBytes(32).toString("base64url"),
      kek: randomBytes(32).toString("base64"),
      pgPassword: password,
      ownerPassword: secret(),
      authorityDbPassword: secret(),
      cspDbPassword: secret(),
      clusteringDbPassword: secret(),
      partySigningKey: randomBytes(32).toString("hex"),
      ledgerSigningKey: process.env.MEDSHARE_LEDGER_SIGNING_KEY,
    },
  },
  { portalUrl: `http://localhost:${port}`, cspUrl: `http://127.0.0.1:${cspPort}` },
);

// The authority's party-token signing key, for e2e/parties.spec.ts: it signs valid tokens to
// show that the CSP refuses a replay or a token used beyond its scope (not only forged ones).
const signingKeyFile = path.resolve(".data", "e2e-party-signing-key");
writeFileSync(signingKeyFile, envs.authority!.MEDSHARE_PARTY_SIGNING_KEY!, { mode: 0o600 });

// Everything the server and the clustering worker log is also kept, so a journey can check
// that no patient data or secret ever reaches the logs (e2e/zz-logs.spec.ts).
const log = createWriteStream(path.resolve(".data", "e2e-server.log"), { flags: "w" });
const keep = (d: Buffer) => (process.stdout.write(d), log.write(d));
const keepErr = (d: Buffer) => (process.stderr.write(d), log.write(d));

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
    }),
    { mode: 0o600 },
  );
services = await startServices({
  envs,
  port,
  cspPort,
  output: { stdout: keep, stderr: keepErr },
  workerOutput: keep,
  log: (m) => keepErr(Buffer.from(`[medshare] ${m}\n`)),
  onGiveUp: () => void stop(),
  onStart: writePids,
  // The journeys run against a scaled-out CSP: two web processes behind its gateway, two clustering workers.
  cspProcesses: 2,
  workers: 2,
});
writePids();

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await services?.stop();
  await pg.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
  rmSync(ledgerDir, { recursive: true, force: true });
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
