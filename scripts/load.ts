// `npm run load`: a bounded loopback load test. Starts its own server (scripts/load/server.ts),
// signs in as a hospital member, then measures GET /login, the signed-in /hospital and the
// API read GET /api/public-keys at each connection count for a fixed duration, prints one
// markdown table, stops everything and removes its data. A benchmark, not a test.
//   npm run load -- --duration 10 --connections 10,50
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { cookieHeader, formatTable, parseLoadAvg, summarise, type LoadRow } from "./load/summary";
import { startLoadEnvironment, type Credentials } from "./load/server";

const { values } = parseArgs({
  options: { duration: { type: "string", default: "10" }, connections: { type: "string", default: "10,50" } },
});
const duration = Number(values.duration);
const connectionCounts = values.connections.split(",").map(Number);
if (!(duration > 0 && duration <= 120) || connectionCounts.some((c) => !Number.isInteger(c) || c < 1 || c > 500)) {
  console.error("usage: npm run load -- [--duration 1..120 seconds] [--connections 10,50 (1..500 each)]");
  process.exit(2);
}

const loadAvg = () => {
  try {
    return parseLoadAvg(readFileSync("/proc/loadavg", "utf8"));
  } catch {
    return Number.NaN;
  }
};

/** Signs in through next-auth's credentials form, as the login page does; returns the Cookie header. */
async function signIn(baseUrl: string, who: Credentials): Promise<string> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  let cookies = cookieHeader(csrf.headers.getSetCookie());
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrfToken, email: who.email, password: who.password, json: "true" }),
  });
  cookies = cookieHeader(res.headers.getSetCookie(), cookies);
  if (!/session-token=/.test(cookies)) throw new Error(`sign-in failed (HTTP ${res.status})`);
  return cookies;
}

/** A few sequential requests first: the first hit of a route loads its code, which is not what we measure. */
async function warmUp(url: string, headers: Record<string, string>, expect: (body: string) => boolean) {
  for (let i = 0; i < 20; i++) {
    const res = await fetch(url, { headers, redirect: "manual" });
    const body = await res.text();
    if (res.status !== 200 || !expect(body)) throw new Error(`${url} answered ${res.status} during warm-up, not the expected page`);
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
    const rows: LoadRow[] = [];
    for (const c of cases) {
      await warmUp(env.baseUrl + c.route, c.headers, c.expect);
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
