// `npm start`: zero-configuration MedShare. Embedded PostgreSQL (unless DATABASE_URL is set),
// migrations, a production build when sources changed, then the server on http://localhost:3000.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { openDatabase, serverEnv } from "@/lib/db/bootstrap";
import { issueSetupTokenIfNoAdmin } from "@/lib/portal/registrations";
import { NEXT_BIN, superviseWorker, webEnv, workerWanted } from "./worker-process";

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
  const database = await openDatabase({ log });
  const env = serverEnv(database, port);
  process.env.DATABASE_URL = database.url;

  if (!dev && buildIsStale()) {
    log("building the app (first start or sources changed; about a minute)…");
    const built = spawnSync("npx", ["next", "build"], { stdio: "inherit", env });
    if (built.status !== 0) {
      await database.stop();
      process.exit(built.status ?? 1);
    }
  }

  const token = await issueSetupTokenIfNoAdmin(randomBytes(24).toString("base64url"));
  // Clustering jobs run in their own process: SEAL must not block the web server.
  const worker = workerWanted(env) ? superviseWorker(env) : null;
  const child = spawn(process.execPath, [NEXT_BIN, dev ? "dev" : "start", "-p", String(port)], { stdio: ["ignore", "inherit", "inherit"], env: webEnv(env) });
  log(`MedShare is running at http://localhost:${port}`);
  if (token) log(`No authority admin yet. Create the first one at http://localhost:${port}/register?setup=${token} (one-time link), or run \`npm run admin:create\`.`);
  if (database.embedded) log("Demo accounts: run `npm run seed:demo` in another terminal.");

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    worker?.stop();
    child.kill("SIGTERM");
    await database.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  child.on("exit", (code) => void stop(code ?? 0));
}

main().catch((error) => {
  console.error(`[medshare] could not start: ${(error as Error).message}`);
  process.exit(1);
});
