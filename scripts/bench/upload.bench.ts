/**
 * The upload wizard's real pipeline in Chromium against the real services (driven by
 * scripts/bench-upload.ts, which prints the table): a hospital member made through the UI
 * fixtures, the synthetic CSV picked on /hospital/upload, de-identified, encrypted and
 * uploaded until "Upload stored". The page's User Timing measures (lib/uploads/timing.ts) give
 * the stage breakdown; the CSP's database must then hold every record.
 */
import { writeFileSync } from "node:fs";
import { expect, test } from "../../e2e/fixtures/test";
import { adminPage, approvedPerson, createCatalogue } from "../../e2e/fixtures/admin";
import { e2eSql } from "../../e2e/fixtures/database";
import { unlockGate } from "../../e2e/fixtures/helpers";
import { UPLOAD_MEASURE } from "@/lib/uploads/timing";

const csv = process.env.BENCH_UPLOAD_CSV!;
const out = process.env.BENCH_UPLOAD_OUT!;
const rows = Number(process.env.BENCH_UPLOAD_ROWS);

test("bench: pick to stored", async ({ browser }) => {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["hospital", "researcher", "cardiology"]);
  const { a: staff, page } = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Bench");
  await page.goto("/hospital/upload");
  await unlockGate(page, staff.passphrase);
  await expect(page.getByText("1. Choose a file")).toBeVisible();

  const now = () => page.evaluate(() => performance.now());
  // BENCH_UPLOAD_CALLS=1: when the page's code calls fetch for a chunk or tensor, when fetch() returns, when its answer resolves
  if (process.env.BENCH_UPLOAD_CALLS)
    await page.evaluate(() => {
      const w = window as unknown as { fetch: typeof fetch; __calls: unknown[] };
      const original = w.fetch.bind(window);
      w.__calls = [];
      w.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input);
        const call = performance.now();
        const p = original(input, init);
        const rec = { url, call, returned: performance.now(), answered: 0 };
        if (/\/(chunks|features)\/\d+$/.test(url)) w.__calls.push(rec);
        return p.then((r) => ((rec.answered = performance.now()), r));
      };
    });
  // every chunk and tensor request's Resource Timing (the default buffer keeps 250)
  await page.evaluate(() => performance.setResourceTimingBufferSize(100_000));
  const pick = await now();
  await page.getByLabel(/Drop a CSV/).setInputFiles(csv);
  await expect(page.getByTestId("preview")).toContainText(`${rows.toLocaleString("en-US")} records`, { timeout: 300_000 });
  // the user's own steps (not the pipeline): de-identify as suggested, policy, label
  const formStart = await now();
  await page.getByRole("button", { name: "De-identify" }).click();
  await expect(page.getByText("No HIPAA Safe Harbor identifiers found")).toBeVisible({ timeout: 300_000 });
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher AND ${code}.cardiology`);
  const label = `bench ${rows} rows`;
  await page.getByLabel("Label").fill(label);
  const button = page.getByRole("button", { name: "Encrypt and upload" });
  await expect(button).toBeEnabled();
  // BENCH_UPLOAD_PROFILE=file.cpuprofile: the page's main thread, click to stored (V8 CPU profile, DevTools can open it)
  const profile = process.env.BENCH_UPLOAD_PROFILE;
  const cdp = profile ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 1000 });
    await cdp.send("Profiler.start");
  }
  const click = await now();
  await button.click();
  await expect(page.getByText(/Upload stored/)).toBeVisible({ timeout: 25 * 60_000 });
  const stored = await now();
  if (cdp) writeFileSync(profile!, JSON.stringify((await cdp.send("Profiler.stop")).profile));
  if (await page.getByText("Upload stored, without clustering data").count())
    throw new Error(`stored without clustering data: ${/[^.]*tensors[^.]*\./.exec(await page.locator("main").innerText())?.[0]}`);

  const measures = await page.evaluate(
    (prefix) =>
      performance
        .getEntriesByType("measure")
        .filter((m) => m.name.startsWith(prefix))
        .map((m) => ({ stage: m.name.slice(prefix.length), start: m.startTime, ms: m.duration })),
    UPLOAD_MEASURE,
  );
  // per request: queued in the browser, sent and answered (request start to the answer's first byte)
  const requests = await page.evaluate(() =>
    (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
      .filter((e) => /\/api\/uploads\/[^/]+\/(chunks\/\d+|features\/\d+)$/.test(new URL(e.name).pathname))
      .map((e) => ({
        kind: /\/chunks\//.test(e.name) ? "chunk" : "tensor",
        start: e.startTime,
        queued: e.requestStart - e.startTime,
        served: e.responseStart - e.requestStart,
        total: e.duration,
      })),
  );
  const calls = process.env.BENCH_UPLOAD_CALLS ? await page.evaluate(() => (window as unknown as { __calls: unknown[] }).__calls) : undefined;
  // what the CSP holds: every record, stored, and the clustering tensors complete
  const [upload] = await e2eSql<{ id: string; status: string; records: string; features: string | null }>(
    `SELECT u.id::text, u.status::text, (SELECT count(*) FROM csp.record_ciphertexts r WHERE r.upload_id = u.id)::text AS records,
            (SELECT f.status::text FROM csp.upload_features f WHERE f.upload_id = u.id) AS features
       FROM csp.uploads u WHERE u.label = $1`,
    [label],
  );
  expect(upload.status).toBe("STORED");
  expect(Number(upload.records)).toBe(rows);
  expect(upload.features).toBe("STORED");
  writeFileSync(out, JSON.stringify({ rows, pick, formStart, click, stored, measures, requests, calls, features: upload.features }));
});
