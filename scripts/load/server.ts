// The server `npm run load` measures: the built app behind the real launcher (scripts/start.ts:
// front gateway, supervised `next start`) on a fresh embedded PostgreSQL in its own folder,
// split into its services as under `npm start`, each connected as its party's role, with demo-like data.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { freePort, startEmbeddedPostgres } from "@/lib/db/embedded";
import { db } from "@/lib/db/client";
import { provisionFreshDatabase } from "@/lib/db/bootstrap";
import { createApprovedAccount } from "@/lib/portal/accounts";
import { completeUpload, putChunk } from "@/lib/csp/uploads";
import { startUpload } from "@/lib/portal/uploads";
import { makeCatalogue, personWithKeys } from "@/tests/helpers/authority";
import { startCspService } from "@/tests/helpers/csp-service";
import { prepareUpload } from "@/tests/helpers/upload";

export type Credentials = { email: string; password: string };
/** `pid`: the process that renders pages, when known (the probe reads its CPU time). */
export type RunningServer = { baseUrl: string; cspUrl: string; pid?: number; stop: () => Promise<void> };
export type LoadEnvironment = RunningServer & { staff: Credentials; organisation: string; databaseUrl: string; extra?: unknown };
/** More seeding by the caller (e.g. bench:parties), with both parties' code in this process. */
export type ExtraSeed = (adminId: string) => Promise<unknown>;

/** The password tests/helpers/users.ts gives every person it makes. */
const FIXTURE_PASSWORD = "correct horse battery";
const UPLOADS = ["cardiology cohort", "oncology cohort", "follow-up visits"];

export function requireBuild() {
  if (!existsSync(path.resolve(".next/BUILD_ID"))) {
    throw new Error("No production build found (.next/BUILD_ID). Run `npm run build` first, then `npm run load`.");
  }
}

/**
 * An authority admin, an approved hospital member holding keys, and a few real stored uploads
 * (encrypted and signed as a browser would), so /hospital lists what a hospital sees.
 */
async function seed(extraSeed?: ExtraSeed) {
  const admin = await createApprovedAccount({
    organisation: "Load Hospital Authority",
    kind: "AUTHORITY",
    role: "AUTHORITY_ADMIN",
    name: "Load Admin",
    email: "admin@load.test",
    gid: "load.admin",
    password: randomBytes(18).toString("base64url"),
    reason: "npm run load",
  });
  if (!admin) throw new Error("the load database was not empty");
  const ids = await makeCatalogue(admin.id, "HA1", ["hospital", "researcher", "cardiology"]);
  const staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["HA1.hospital"]]);
  const rows = Array.from({ length: 12 }, (_, i) => ({ id: `L${i}`, glucose: 90 + i, diagnosis: i % 2 ? "M" : "B" }));
  for (const label of UPLOADS) {
    // the label is part of what the hospital signs
    const { chunks, body } = await prepareUpload(staff, "HA1.researcher AND HA1.cardiology", rows, "HA1.hospital", 1024, label);
    const { id } = await startUpload(staff.user, body);
    for (const [i, chunk] of chunks.entries()) await putChunk({ uploadId: id, organisationId: staff.user.organisation.id, index: i, data: chunk });
    await completeUpload({ uploadId: id, organisationId: staff.user.organisation.id, actorId: staff.user.id });
  }
  const extra = extraSeed ? await extraSeed(admin.id) : undefined;
  return { staff: { email: staff.user.email, password: FIXTURE_PASSWORD }, organisation: staff.user.organisation.name, extra };
}

async function waitUntilServing(baseUrl: string, exited: () => string | null) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`the web server stopped before it served (${why})`);
    try {
      if ((await fetch(`${baseUrl}/login`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error("the web server did not answer /login within 90 s");
}

/**
 * The real launcher (`npm start`'s scripts/start.ts: front gateway, supervised `next start`) in a
 * child process on a free loopback port, against the given database; its output is kept (last
 * lines shown if it fails). `pid` is the next-server process, read from the launcher's run file.
 */
export async function startWebServer(env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const port = await freePort();
  const cspPort = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dataDir = env.MEDSHARE_DATA_DIR!;
  // LOAD_CPU_PROF=<dir> writes V8 CPU profiles of the processes there when they stop (open in Chrome DevTools).
  const profile = env.LOAD_CPU_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.resolve(env.LOAD_CPU_PROF)}` } : {};
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/start.ts"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...env, ...profile, PORT: String(port), MEDSHARE_CSP_PORT: String(cspPort), NEXTAUTH_URL: baseUrl, MEDSHARE_WORKER: "off" },
  });
  let tail = "";
  // LOAD_ECHO=1 also prints the launcher's output as it comes.
  const keep = (d: Buffer) => {
    if (env.LOAD_ECHO === "1") process.stderr.write(d);
    tail = (tail + d.toString()).slice(-4000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exit: string | null = null;
  const exited = new Promise<void>((resolve) =>
    child.on("exit", (code, signal) => {
      exit = signal ?? `exit ${code}`;
      resolve();
    }),
  );
  try {
    await waitUntilServing(baseUrl, () => exit);
  } catch (error) {
    child.kill("SIGTERM");
    throw new Error(`${(error as Error).message}\n${tail}`);
  }
  const run = JSON.parse(readFileSync(path.join(dataDir, "run.json"), "utf8")) as { web?: number | null };
  return {
    baseUrl,
    cspUrl: `http://127.0.0.1:${cspPort}`,
    pid: run.web ?? undefined,
    async stop() {
      if (exit === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Database, data and web server; `stop` removes all of it again. */
export async function startLoadEnvironment(opts: { extraSeed?: ExtraSeed } = {}): Promise<LoadEnvironment> {
  requireBuild();
  const dir = path.resolve(".data", `load-pg-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres({ dir, password: randomBytes(18).toString("base64url") });
  const removeDatabase = async () => {
    await pg.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Owner and party roles as under `npm start`; the services connect as their party's role.
    const { ownerUrl, urls } = await provisionFreshDatabase(pg.url);
    // The seed runs both parties' code in this process (the CSP's API over loopback HTTP), as the owner.
    Object.assign(process.env, {
      DATABASE_URL: ownerUrl,
      MEDSHARE_LEDGER_DIR: path.join(dir, "ledger"),
      MEDSHARE_LEDGER_SIGNING_KEY: randomBytes(32).toString("hex"),
      NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
      MEDSHARE_KEK: randomBytes(32).toString("base64"),
      NEXT_TELEMETRY_DISABLED: "1",
    });
    const csp = await startCspService();
    const data = await seed(opts.extraSeed).finally(() => csp.close());
    delete process.env.MEDSHARE_CSP_URL; // the launcher gives its services their own
    // This process is done with the database; the pool must not outlive the server it talks to.
    await db().$disconnect();
    const web = await startWebServer({
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: ownerUrl,
      MEDSHARE_AUTHORITY_DATABASE_URL: urls.authority,
      MEDSHARE_CSP_DATABASE_URL: urls.csp,
      MEDSHARE_CLUSTERING_DATABASE_URL: urls.clustering,
      MEDSHARE_DATA_DIR: path.join(dir, "data"),
    });
    return {
      ...data,
      databaseUrl: pg.url,
      baseUrl: web.baseUrl,
      cspUrl: web.cspUrl,
      pid: web.pid,
      async stop() {
        await web.stop();
        await removeDatabase();
      },
    };
  } catch (error) {
    await removeDatabase();
    throw error;
  }
}
