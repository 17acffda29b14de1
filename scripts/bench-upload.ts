/**
 * From file pick to "stored": the upload wizard's real pipeline in Chromium (Debian's) against the
 * real services (the built app, split into its parties, on a fresh embedded PostgreSQL, as the
 * journeys run it). Needs `npm run build` first. A benchmark, not a test.
 *   npm run bench:upload -- --rows 100000        table
 *   options: --rows N (default 10000), --json (one JSON object on stdout)
 *   env: E2E_PORT (default 3400) for the portal; the CSP listens on E2E_PORT + 1000
 *
 * Node writes a synthetic CSV of N rows with the demo columns (generatePatients({ n, seed: 1 }) +
 * toCsv, the same as `npm run seed:demo`'s files) and runs scripts/bench/upload.bench.ts under
 * playwright.bench.config.ts: a hospital member made through the UI, the file picked, the
 * suggested de-identification applied, a policy and a label typed, "Encrypt and upload", until
 * "Upload stored"; the CSP's database must then hold all N records and the clustering tensors.
 * The pick-to-stored part runs in a plain Chromium without DevTools' Network domain (see
 * scripts/bench/plain-chromium.ts); BENCH_UPLOAD_BROWSER=playwright runs it in Playwright's page.
 * Stages come from the page's User Timing measures (lib/uploads/timing.ts); they may overlap.
 * The crypto-only micro-benchmark in about:blank is `npm run bench:upload-crypto`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generatePatients, toCsv } from "../lib/records/synthetic";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const rows = Number(arg("--rows") ?? 10_000);
if (!Number.isSafeInteger(rows) || rows < 1 || rows > 100_000) throw new Error(`--rows needs an integer in 1..100000, got ${arg("--rows")}`);
const json = process.argv.includes("--json");
const log = (line: string) => process.stderr.write(`  ${line}\n`);

if (!existsSync(".next/BUILD_ID")) throw new Error("No production build (.next/BUILD_ID): run `npm run build` first.");

type Measure = { stage: string; start: number; ms: number };
type Request = { kind: "chunk" | "tensor"; start: number; queued: number; served: number; total: number };
type Output = { rows: number; browser?: string; pick: number; formStart: number; click: number; stored: number; measures: Measure[]; requests?: Request[] };

// .data itself keeps its usual mode: the embedded PostgreSQL's own user must reach its folders in it
mkdirSync(path.resolve(".data"), { recursive: true });
const dir = path.resolve(".data", "bench");
mkdirSync(dir, { recursive: true, mode: 0o700 });
const csv = path.join(dir, `upload-${rows}.csv`);
if (!existsSync(csv)) {
  log(`writing ${rows.toLocaleString("en-US")} synthetic patients (seed 1, demo columns) to ${path.relative(process.cwd(), csv)}`);
  writeFileSync(csv, toCsv(generatePatients({ n: rows, seed: 1 })), { mode: 0o600 });
}
const csvBytes = readFileSync(csv).length;
const out = path.join(dir, `upload-${rows}.json`);
rmSync(out, { force: true });

const load = [os.loadavg()[0]];
log("running scripts/bench/upload.bench.ts in Chromium against the built services");
const run = spawnSync("npx", ["playwright", "test", "-c", "playwright.bench.config.ts"], {
  stdio: ["ignore", json ? "ignore" : "inherit", "inherit"],
  env: {
    ...process.env,
    E2E_PORT: process.env.E2E_PORT ?? "3400",
    BENCH_UPLOAD_CSV: csv,
    BENCH_UPLOAD_OUT: out,
    BENCH_UPLOAD_ROWS: String(rows),
    NEXT_TELEMETRY_DISABLED: "1",
  },
});
load.push(os.loadavg()[0]);
if (run.status !== 0 || !existsSync(out)) {
  console.error(`the benchmark run failed (exit ${run.status})`);
  process.exit(1);
}
const r = JSON.parse(readFileSync(out, "utf8")) as Output;
const s = (ms: number) => Math.round(ms / 100) / 10;
const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? os.cpus()[0]?.model ?? "unknown";
const stages = ["parse", "encode", "abe-aes", "ckks", "start", "chunks", "complete", "features-upload"];
const byStage = Object.fromEntries(stages.map((st) => [st, r.measures.filter((m) => m.stage === st)]));
const total = r.stored - r.pick;
const userSteps = r.click - r.formStart;
const result = {
  machine: { cpu, cores: os.cpus().length, node: process.version, load_average_1m: { start: load[0], end: load[1] } },
  rows,
  // where the upload was timed (scripts/bench/upload.bench.ts): "plain" Chromium without DevTools' Network domain, or "playwright"
  browser: r.browser ?? "playwright",
  csv_mb: Math.round(csvBytes / 1e4) / 100,
  seconds: {
    pick_to_stored: s(total),
    user_steps: s(userSteps),
    pick_to_stored_without_user_steps: s(total - userSteps),
    click_to_stored: s(r.stored - r.click),
  },
  requests: Object.fromEntries(
    (["chunk", "tensor"] as const).map((kind) => {
      const rs = (r.requests ?? []).filter((q) => q.kind === kind);
      const pct = (xs: number[], q: number) =>
        xs.length ? Math.round([...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]) : null;
      return [
        kind,
        {
          count: rs.length,
          queued_ms: {
            p50: pct(
              rs.map((q) => q.queued),
              0.5,
            ),
            p90: pct(
              rs.map((q) => q.queued),
              0.9,
            ),
          },
          served_ms: {
            p50: pct(
              rs.map((q) => q.served),
              0.5,
            ),
            p90: pct(
              rs.map((q) => q.served),
              0.9,
            ),
          },
        },
      ];
    }),
  ),
  stages: Object.fromEntries(
    stages.map((st) => {
      const ms = byStage[st];
      if (ms.length === 0) return [st, null];
      const start = Math.min(...ms.map((m) => m.start));
      const end = Math.max(...ms.map((m) => m.start + m.ms));
      return [st, { seconds: s(ms.reduce((n, m) => n + m.ms, 0)), from: s(start - r.pick), to: s(end - r.pick) }];
    }),
  ),
};
if (json) {
  process.stdout.write(JSON.stringify(result) + "\n");
} else {
  console.log(
    `\nUpload, pick to stored, in Chromium: ${result.machine.cpu} (${result.machine.cores} cores), Node ${result.machine.node}, load average ${load[0].toFixed(2)} -> ${load[1].toFixed(2)}`,
  );
  console.log(`${rows.toLocaleString("en-US")} rows, CSV ${result.csv_mb} MB (10^6 bytes)`);
  console.log(
    result.browser === "plain"
      ? "timed in a plain Chromium (DevTools protocol over a pipe, Network domain off); BENCH_UPLOAD_BROWSER=playwright: in Playwright's page\n"
      : "timed in Playwright's page (DevTools' Network domain on: request bodies cost ~14x)\n",
  );
  console.log("stage              seconds   from (s)   to (s)   (seconds after the pick; stages may overlap)");
  for (const st of stages) {
    const v = result.stages[st];
    console.log(
      `${st.padEnd(18)} ${v ? String(v.seconds).padStart(7) : "      -"}   ${v ? String(v.from).padStart(8) : "       -"}   ${v ? String(v.to).padStart(6) : "     -"}`,
    );
  }
  console.log(`\npick to stored      ${result.seconds.pick_to_stored} s`);
  console.log(`  user steps        ${result.seconds.user_steps} s (de-identify, policy, label: typed by the bench between parse and click)`);
  console.log(`  without them      ${result.seconds.pick_to_stored_without_user_steps} s`);
  console.log(`click to stored     ${result.seconds.click_to_stored} s`);
  console.log("\nrequests   count   queued in the browser p50 / p90 (ms)   sent + answered p50 / p90 (ms)");
  for (const [kind, v] of Object.entries(result.requests))
    console.log(
      `${kind.padEnd(10)} ${String(v.count).padStart(5)}   ${`${v.queued_ms.p50} / ${v.queued_ms.p90}`.padStart(20)}                  ${`${v.served_ms.p50} / ${v.served_ms.p90}`.padStart(14)}`,
    );
}
