/**
 * What request bodies cost a page in Chromium with and without DevTools attached (the upload
 * benchmark drives its browser with Playwright, which enables DevTools' Network domain). A page
 * PUTs 25 bodies of 5.9 MB (the size of one block of clustering tensors), 3 in flight, to a local
 * server that discards them, timing `fetch()` itself and each answer; run once by a plain headless
 * Chromium and once by a Chromium Playwright drives. A benchmark, not a test.
 *   npx tsx scripts/bench-fetch-bodies.ts
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "@playwright/test";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"];
const page = `<!doctype html><script>
(async () => {
  const bodies = Array.from({ length: 25 }, () => new Uint8Array(65536 * 90).map((_, j) => (j * 2654435761) >>> 24));
  const out = { sync: [], answered: [] };
  const t0 = performance.now();
  let next = 0;
  await Promise.all([0, 1, 2].map(async () => {
    while (next < bodies.length) {
      const i = next++;
      const a = performance.now();
      const p = fetch("/put", { method: "PUT", body: bodies[i] });
      out.sync.push(performance.now() - a);
      await (await p).text();
      out.answered.push(performance.now() - a);
    }
  }));
  out.total = performance.now() - t0;
  await fetch("/result", { method: "POST", body: JSON.stringify(out) });
})();
</script>`;

type Result = { total: number; sync: number[]; answered: number[] };
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1];

/** Serves the page, waits for its result, and runs `launch(url)` meanwhile. */
async function measure(launch: (url: string) => Promise<() => Promise<void>>): Promise<Result> {
  let done!: (r: Result) => void;
  const result = new Promise<Result>((r) => (done = r));
  const server = http.createServer((req, res) => {
    if (req.url === "/") return res.end(page);
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => {
      if (req.url === "/result") done(JSON.parse(Buffer.concat(parts).toString()) as Result);
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  const stop = await launch(`http://127.0.0.1:${port}/`);
  try {
    return await result;
  } finally {
    await stop();
    server.close();
  }
}

const plain = await measure(async (url) => {
  const profile = mkdtempSync(path.join(os.tmpdir(), "fetch-bodies-"));
  const child = spawn(CHROMIUM, ["--headless", ...ARGS, `--user-data-dir=${profile}`, url], { stdio: "ignore" });
  const exited = new Promise((r) => child.once("exit", r));
  return async () => {
    child.kill();
    await exited;
    rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
  };
});
const driven = await measure(async (url) => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  await (await browser.newPage()).goto(url);
  return () => browser.close();
});
const line = (name: string, r: Result) =>
  `${name}: ${r.total.toFixed(0)} ms in all, fetch() itself ${median(r.sync).toFixed(0)} ms, answer ${median(r.answered).toFixed(0)} ms (medians)`;
console.log(`load average ${os.loadavg()[0].toFixed(2)}`);
console.log(line("plain headless Chromium (no DevTools)", plain));
console.log(line("Chromium driven by Playwright", driven));
