// Serves the built app for Playwright on a fresh embedded PostgreSQL (own folder and port),
// seeded with one authority admin, behind the same front gateway as `npm start`
// (scripts/web-process.ts). Removed again when Playwright stops it.
import { randomBytes } from "node:crypto";
import { createWriteStream, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startEmbeddedPostgres } from "@/lib/db/embedded";
import { provisionFreshDatabase } from "@/lib/db/bootstrap";
import { createApprovedAccount } from "@/lib/portal/accounts";
import { E2E_ADMIN } from "@/e2e/fixtures/accounts";
import { startWebTier, type WebTier } from "./web-process";
import { superviseWorker, withoutTelemetry } from "./worker-process";

const port = Number(process.env.E2E_PORT ?? 3100);
const dir = path.resolve(".data", `e2e-pg-${process.pid}`);
const password = randomBytes(18).toString("base64url");

const pg = await startEmbeddedPostgres({ dir, password });
// The app runs as the least-privilege role, like under `npm start` (lib/db/roles.ts).
const { appUrl } = await provisionFreshDatabase(pg.url);
process.env.DATABASE_URL = appUrl;
// Signed ledger checkpoints of this run only, in a folder removed with it.
const ledgerDir = path.resolve(".data", `e2e-ledger-${process.pid}`);
process.env.MEDSHARE_LEDGER_DIR = ledgerDir;
process.env.MEDSHARE_LEDGER_SIGNING_KEY = randomBytes(32).toString("hex");
// Journeys that check the database afterwards read the URLs here: the superuser's for scans
// and attacks (e2e/fixtures/database.ts), the app role's to compare with what the app uses.
writeFileSync(path.resolve(".data", "e2e-database-url"), appUrl, { mode: 0o600 });
writeFileSync(path.resolve(".data", "e2e-database-admin-url"), pg.url, { mode: 0o600 });
await createApprovedAccount({ ...E2E_ADMIN, kind: "AUTHORITY", role: "AUTHORITY_ADMIN", reason: "e2e" });

const env = withoutTelemetry({
  ...process.env,
  DATABASE_URL: appUrl,
  NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
  NEXTAUTH_URL: `http://localhost:${port}`,
  MEDSHARE_KEK: randomBytes(32).toString("base64"),
});

// Everything the server and the clustering worker log is also kept, so a journey can check
// that no patient data or secret ever reaches the logs (e2e/zz-logs.spec.ts).
const log = createWriteStream(path.resolve(".data", "e2e-server.log"), { flags: "w" });
const keep = (d: Buffer) => (process.stdout.write(d), log.write(d));
const keepErr = (d: Buffer) => (process.stderr.write(d), log.write(d));

// Which processes serve the journeys: e2e/security-transport.spec.ts reads their memory and environment.
const pidsFile = path.resolve(".data", `e2e-pids-${port}.json`);
let web: WebTier | null = null;
const worker = superviseWorker(env, { output: keep, onGiveUp: () => void stop() });
const writePids = () => writeFileSync(pidsFile, JSON.stringify({ gateway: process.pid, web: web?.next.pid() ?? null, worker: worker.pid() }), { mode: 0o600 });
web = await startWebTier({
  env,
  publicPort: port,
  output: { stdout: keep, stderr: keepErr },
  log: (m) => keepErr(Buffer.from(`[medshare] ${m}\n`)),
  onGiveUp: () => void stop(),
  onStart: () => setImmediate(writePids),
});
writePids();

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.all([worker.stop(), web?.stop()]);
  await pg.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
  rmSync(ledgerDir, { recursive: true, force: true });
  rmSync(pidsFile, { force: true });
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
