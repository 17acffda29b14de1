// `npm run load`: a bounded loopback load test. Starts its own server (scripts/load/server.ts),
// signs in as a hospital member, then measures GET /login, the signed-in /hospital and the
// API read GET /api/public-keys at each connection count for a fixed duration, prints one
// markdown table, stops everything and removes its data. A benchmark, not a test.
//   npm run load -- --duration 10 --connections 10,50 [--routes /hospital] [--probe]
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import pg from "pg";
import { parseArgs } from "node:util";
import { cpuMsFromStat, formatTable, parseLoadAvg, summarise, type LoadRow } from "./load/summary";
import { startLoadEnvironment } from "./load/server";
import { signIn } from "./load/sign-in";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "10,50" },
    // Measure only some routes, e.g. `--routes /hospital` while profiling one page.
    routes: { type: "string", default: "" },
    probe: { type: "boolean", default: false },
  },
});
const duration = Number(values.duration);
const connectionCounts = values.connections.split(",").map(Number);
if (!(duration > 0 && duration <= 120) || connectionCounts.some((c) => !Number.isInteger(c) || c < 1 || c > 500)) {
  console.error(
    "usage: npm run load -- [--duration 1..120 seconds] [--connections 10,50 (1..500 each)] [--routes /login,/hospital,/api/public-keys] [--probe]",
  );
  process.exit(2);
}

const loadAvg = () => {
  try {
    return parseLoadAvg(readFileSync("/proc/loadavg", "utf8"));
  } catch {
    return Number.NaN;
  }
};

/** A few sequential requests first: the first hit of a route loads its code, which is not what we measure. */
async function warmUp(url: string, headers: Record<string, string>, expect: (body: string) => boolean) {
  for (let i = 0; i < 20; i++) {
    const res = await fetch(url, { headers, redirect: "manual" });
    const body = await res.text();
    if (res.status !== 200 || !expect(body)) throw new Error(`${url} answered ${res.status} during warm-up, not the expected page`);
  }
}

/**
 * What one request of a route costs: the bytes it answers, the server's CPU time and the SQL
 * statements it runs (committed transactions in pg_stat_database; every autocommit statement is one, and
 * nothing else uses this database while the probe runs: the clustering worker is off).
 * Takes about 25 s per route, so only with --probe.
 */
async function probe(url: string, headers: Record<string, string>, databaseUrl: string, pid?: number) {
  // The server's own CPU time per request does not depend on what else the shared machine runs.
  const cpuMs = () => (pid ? cpuMsFromStat(readFileSync(`/proc/${pid}/stat`, "utf8")) : Number.NaN);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const commits = async () => {
    // Statistics are flushed by backends lazily; force this session's view to be current.
    await client.query("SELECT pg_stat_force_next_flush()");
    await client.query("SELECT pg_stat_clear_snapshot()");
    const r = await client.query("SELECT xact_commit::int AS n FROM pg_stat_database WHERE datname = current_database()");
    return r.rows[0].n as number;
  };
  try {
    const rounds = 40;
    // Idle backends report their counts only after 10 s (PostgreSQL's PGSTAT_IDLE_INTERVAL): wait them out.
    const settle = () => new Promise((r) => setTimeout(r, 10_500));
    await settle();
    const before = await commits();
    let bytes = 0;
    const cpuBefore = cpuMs();
    for (let i = 0; i < rounds; i++) bytes = (await (await fetch(url, { headers, redirect: "manual" })).arrayBuffer()).byteLength;
    const serverCpuMs = (cpuMs() - cpuBefore) / rounds;
    await settle();
    const after = await commits();
    // The probe's own statements between the two readings (the first reading's last, the second's first two) count too.
    return { bytes, statements: (after - before - 2) / rounds, serverCpuMs };
  } finally {
    await client.end();
  }
}

async function main() {
  console.log("starting a fresh database, seeding it and starting the built app…");
  const env = await startLoadEnvironment();
  const stopOnSignal = () => void env.stop().then(() => process.exit(130));
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  try {
    const cookie = await signIn(env.baseUrl, env.staff);
    const cases: Array<{ route: string; headers: Record<string, string>; expect: (body: string) => boolean }> = [
      { route: "/login", headers: {}, expect: (b: string) => b.includes("Sign in") },
      { route: "/hospital", headers: { cookie }, expect: (b: string) => b.includes("cardiology cohort") },
      { route: "/api/public-keys", headers: { cookie }, expect: (b: string) => b.includes("HA1.hospital") },
    ];
    const wanted = values.routes ? values.routes.split(",") : cases.map((c) => c.route);
    const rows: LoadRow[] = [];
    const chosen = cases.filter((x) => wanted.includes(x.route));
    const perRequest = [];
    for (const c of chosen) {
      await warmUp(env.baseUrl + c.route, c.headers, c.expect);
      if (values.probe) perRequest.push({ route: c.route, ...(await probe(env.baseUrl + c.route, c.headers, env.databaseUrl, env.pid)) });
    }
    if (values.probe) {
      console.log("per request (sequential, warm):");
      console.table(perRequest);
    }
    for (const c of chosen) {
      for (const connections of connectionCounts) {
        process.stdout.write(`${c.route} at ${connections} connections for ${duration} s… `);
        const result = await autocannon({ url: env.baseUrl + c.route, headers: c.headers, connections, duration });
        const row = summarise(c.route, connections, result, loadAvg());
        rows.push(row);
        console.log(`${row.reqPerSec.toFixed(1)} req/s, p99 ${Math.round(row.p99Ms)} ms`);
      }
    }
    console.log(`\n${new Date().toISOString()}, ${duration} s per case, loopback, load average now ${readFileSync("/proc/loadavg", "utf8").trim()}`);
    console.log(formatTable(rows));
  } finally {
    await env.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`[load] ${(error as Error).message}`);
    process.exit(1);
  },
);
