// `npm test`: lint (ESLint and Prettier's formatting check), typecheck, Vitest (unit + integration on a real PostgreSQL), production build,
// Playwright journeys in Chromium against it, then the journey across two hosts (network
// namespaces, playwright.netns.config.ts). Ends with one line: `N passed, N failed`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const resultsDir = ".data/test-results";
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
delete env.DATABASE_URL; // tests make their own databases

type Tally = { passed: number; failed: number; skipped: number };
const total: Tally = { passed: 0, failed: 0, skipped: 0 };

function step(title: string, cmd: string, args: string[]): boolean {
  console.log(`\n=== ${title} ===`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  console.log(`--- ${title}: ${r.status === 0 ? "ok" : `failed (exit ${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return r.status === 0;
}

function countVitest(file: string): Tally | null {
  if (!existsSync(file)) return null;
  const j = JSON.parse(readFileSync(file, "utf8"));
  let failed: number = j.numFailedTests ?? 0;
  // a file that failed to load has no failed tests of its own but fails the run
  if (failed === 0 && j.success === false) failed = Math.max(1, j.numFailedTestSuites ?? 0);
  return { passed: j.numPassedTests ?? 0, failed, skipped: (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0) };
}

function countPlaywright(file: string): Tally | null {
  if (!existsSync(file)) return null;
  const s = JSON.parse(readFileSync(file, "utf8")).stats ?? {};
  return { passed: (s.expected ?? 0) + (s.flaky ?? 0), failed: s.unexpected ?? 0, skipped: s.skipped ?? 0 };
}

/**
 * The failed journeys of a Playwright report, a few lines each (what failed, when, the error's
 * first lines, what the failure fixture saw of the pages and the server): printed again at the
 * end, where CI's log tail shows them, since the reporter's own account scrolls away.
 */
function playwrightFailures(file: string): string[] {
  if (!existsSync(file)) return [];
  type Result = { status: string; startTime: string; duration: number; errors?: { message?: string }[]; stdout?: { text?: string }[] };
  type Spec = { title: string; file: string; line: number; tests: { results: Result[] }[] };
  type Suite = { title: string; specs?: Spec[]; suites?: Suite[] };
  const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "");
  const out: string[] = [];
  const walk = (suite: Suite) => {
    for (const spec of suite.specs ?? [])
      for (const result of spec.tests.flatMap((t) => t.results))
        if (result.status === "failed" || result.status === "timedOut") {
          out.push(`✘ ${spec.file}:${spec.line} ${spec.title} (${result.status}, started ${result.startTime}, ${(result.duration / 1000).toFixed(0)} s)`);
          for (const error of result.errors ?? [])
            out.push(
              ...plain(error.message ?? "")
                .split("\n")
                .filter(Boolean)
                .slice(0, 4)
                .map((l) => `    ${l.slice(0, 240)}`),
            );
          const seen = (result.stdout ?? []).map((s) => s.text ?? "").join("");
          for (const line of plain(seen)
            .split("\n")
            .filter((l) => /^\[(failed journey|server state)\]|^ {2}\S/.test(l))
            .slice(0, 24))
            out.push(`    ${line.slice(0, 240)}`);
        }
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of (JSON.parse(readFileSync(file, "utf8")).suites ?? []) as Suite[]) walk(suite);
  return out;
}
const failures: string[] = [];

function add(t: Tally | null, fallbackOk: boolean) {
  if (!t || t.passed + t.failed === 0) {
    // a runner that crashed before reporting counts as one failure, never as silence
    if (!fallbackOk) total.failed += 1;
    else total.skipped += t?.skipped ?? 0;
    return;
  }
  total.passed += t.passed;
  total.failed += t.failed;
  total.skipped += t.skipped;
}

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);

if (want("lint")) {
  const ok = step("lint (ESLint, formatting)", "npm", ["run", "lint"]);
  if (ok) total.passed += 1;
  else total.failed += 1;
}

if (want("typecheck")) {
  const ok = step("typecheck", "npx", ["tsc", "--noEmit"]);
  if (ok) total.passed += 1;
  else total.failed += 1;
}

if (want("unit")) {
  const ok = step("vitest (unit + integration)", "npx", [
    "vitest",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${resultsDir}/vitest.json`,
  ]);
  add(countVitest(`${resultsDir}/vitest.json`), ok);
}

if (want("e2e") || want("netns")) {
  const built = step("next build", "npx", ["next", "build"]);
  if (!built) total.failed += 1;
  else {
    if (want("e2e")) {
      const ok = step("playwright (Chromium)", "npx", ["playwright", "test"]);
      add(countPlaywright(`${resultsDir}/playwright.json`), ok);
      failures.push(...playwrightFailures(`${resultsDir}/playwright.json`));
    }
    // The authority and the CSP on two hosts (network namespaces; skipped, saying why, where it cannot run).
    const ok = step("playwright, split hosts (network namespaces)", "npx", ["playwright", "test", "-c", "playwright.netns.config.ts"]);
    add(countPlaywright(`${resultsDir}/playwright-netns.json`), ok);
    failures.push(...playwrightFailures(`${resultsDir}/playwright-netns.json`));
  }
}

if (failures.length) console.log(`\n=== failed journeys ===\n${failures.join("\n")}`);
const line = `${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ""}`;
writeFileSync(`${resultsDir}/summary.txt`, `${line}\n`);
console.log(`\n${line}`);
process.exit(total.failed === 0 ? 0 : 1);
