/**
 * The upload wizard's real pipeline in Chromium against the real services (driven by
 * scripts/bench-upload.ts, which prints the table): a hospital member made through the UI
 * fixtures, the synthetic CSV picked on /hospital/upload, de-identified, encrypted and
 * uploaded until "Upload stored". The page's User Timing measures (lib/uploads/timing.ts) give
 * the stage breakdown; the CSP's database must then hold every record.
 *
 * Where the upload is timed: by default in a second, plain Chromium (./plain-chromium.ts: the
 * DevTools protocol over a pipe, no Network domain), given the person's session cookie and
 * sealed key store, and clicked through with the page's own DOM. Playwright copies every request
 * body to the test runner, ~14x the browser's own cost for the tensors' bodies (docs/BENCHMARKS.md);
 * BENCH_UPLOAD_BROWSER=playwright times it in Playwright's page as before.
 */
import { writeFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { expect, test } from "../../e2e/fixtures/test";
import { adminPage, approvedPerson, createCatalogue } from "../../e2e/fixtures/admin";
import { e2eSql } from "../../e2e/fixtures/database";
import { sealedInBrowser, unlockGate, type Applicant } from "../../e2e/fixtures/helpers";
import { UPLOAD_MEASURE } from "@/lib/uploads/timing";
import { CHROMIUM_PATH } from "../../e2e/fixtures/chromium";
import { PAGE_HELPERS, PlainChromium, type PlainPage } from "./plain-chromium";

const csv = process.env.BENCH_UPLOAD_CSV!;
const out = process.env.BENCH_UPLOAD_OUT!;
const rows = Number(process.env.BENCH_UPLOAD_ROWS);

type Timed = { pick: number; formStart: number; click: number; stored: number; measures: unknown[]; requests: unknown[]; calls?: unknown[] };

// BENCH_UPLOAD_CALLS=1: when the page's code calls fetch for a chunk or tensor, when fetch() returns, when its answer resolves
const WRAP_FETCH = `(() => {
  const w = window;
  const original = w.fetch.bind(window);
  w.__calls = [];
  w.fetch = (input, init) => {
    const url = String(input);
    const call = performance.now();
    const p = original(input, init);
    const rec = { url, call, returned: performance.now(), answered: 0 };
    if (/\\/(chunks|features)\\/\\d+$/.test(url)) w.__calls.push(rec);
    return p.then((r) => ((rec.answered = performance.now()), r));
  };
})()`;

/** The page's User Timing measures of the upload, and every chunk and tensor request's Resource Timing. */
const COLLECT = `(() => ({
  measures: performance.getEntriesByType("measure").filter((m) => m.name.startsWith(${JSON.stringify(UPLOAD_MEASURE)}))
    .map((m) => ({ stage: m.name.slice(${UPLOAD_MEASURE.length}), start: m.startTime, ms: m.duration })),
  requests: performance.getEntriesByType("resource")
    .filter((e) => /\\/api\\/uploads\\/[^/]+\\/(chunks\\/\\d+|features\\/\\d+)$/.test(new URL(e.name).pathname))
    .map((e) => ({ kind: /\\/chunks\\//.test(e.name) ? "chunk" : "tensor", start: e.startTime, queued: e.requestStart - e.startTime,
                   served: e.responseStart - e.requestStart, total: e.duration })),
  calls: window.__calls,
}))()`;

test("bench: pick to stored", async ({ browser, baseURL }) => {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["hospital", "researcher", "cardiology"]);
  const { a: staff, page } = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Bench");
  const policy = `${code}.researcher AND ${code}.cardiology`;
  const label = `bench ${rows} rows`;
  const timed =
    process.env.BENCH_UPLOAD_BROWSER === "playwright"
      ? await inPlaywright(page, staff.passphrase, policy, label)
      : await inPlainChromium(page, baseURL!, staff, policy, label);

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
  writeFileSync(out, JSON.stringify({ rows, ...timed, browser: process.env.BENCH_UPLOAD_BROWSER ?? "plain", features: upload.features }));
});

/** The upload in a plain Chromium: the person's session cookie and sealed key store copied over, the wizard clicked through with the DOM. */
async function inPlainChromium(page: Page, baseURL: string, staff: Applicant, policy: string, label: string): Promise<Timed> {
  const cookies = await page.context().cookies();
  const sealed = await sealedInBrowser(page, staff.gid);
  await page.context().close();
  const plain = PlainChromium.launch(chromiumPath());
  try {
    await plain.send("Storage.setCookies", {
      cookies: cookies.map((c) => ({
        name: c.name,
        value: c.value,
        domain: c.domain,
        path: c.path,
        httpOnly: c.httpOnly,
        secure: c.secure,
        sameSite: c.sameSite,
        ...(c.expires > 0 ? { expires: c.expires } : {}),
      })),
    });
    const tab = await plain.newPage();
    const url = new URL("/hospital/upload", baseURL).href;
    await tab.goto(url);
    // the browser's copy of the key store, as lib/keystore/idb.ts keeps it
    await tab.evaluate(`new Promise((resolve, reject) => {
      const req = indexedDB.open("medshare", 1);
      req.onupgradeneeded = () => req.result.createObjectStore("keystores", { keyPath: "gid" });
      req.onsuccess = () => { const tx = req.result.transaction("keystores", "readwrite"); tx.objectStore("keystores").put(${JSON.stringify(sealed)});
        tx.oncomplete = () => { req.result.close(); resolve(true); }; tx.onerror = () => reject(tx.error); };
      req.onerror = () => reject(req.error);
    })`);
    await tab.goto(url);
    await tab.evaluate(PAGE_HELPERS);
    await tab.waitFor(`document.getElementById("gate-passphrase")`, 60_000);
    await tab.evaluate(`__bench.fill("Key passphrase", ${JSON.stringify(staff.passphrase)}); __bench.click("Unlock keys")`);
    await tab.waitFor(`__bench.text().includes("1. Choose a file")`, 60_000);
    return await timeUpload(tab, policy, label);
  } finally {
    await plain.close();
  }
}

async function timeUpload(tab: PlainPage, policy: string, label: string): Promise<Timed> {
  const now = () => tab.evaluate<number>("performance.now()");
  if (process.env.BENCH_UPLOAD_CALLS) await tab.evaluate(WRAP_FETCH);
  await tab.evaluate("performance.setResourceTimingBufferSize(100000)");
  const pick = await now();
  await tab.setInputFiles("input#file", [csv]);
  await tab.waitFor(
    `document.querySelector('[data-testid="preview"]')?.textContent.includes(${JSON.stringify(`${rows.toLocaleString("en-US")} records`)})`,
    300_000,
  );
  // the user's own steps (not the pipeline): de-identify as suggested, policy, label
  const formStart = await now();
  await tab.evaluate(`__bench.click("De-identify")`);
  await tab.waitFor(`__bench.text().includes("No HIPAA Safe Harbor identifiers found")`, 300_000);
  await tab.evaluate(`__bench.fill("Policy", ${JSON.stringify(policy)}); __bench.fill("Label", ${JSON.stringify(label)})`);
  await tab.waitFor(`__bench.button("Encrypt and upload") && !__bench.button("Encrypt and upload").disabled`, 30_000);
  const click = await now();
  await tab.evaluate(`__bench.click("Encrypt and upload")`);
  await tab.waitFor(`/Upload stored/.test(__bench.text())`, 25 * 60_000);
  const stored = await now();
  const text = await tab.evaluate<string>("__bench.text()");
  if (text.includes("Upload stored, without clustering data")) throw new Error(`stored without clustering data: ${/[^.]*tensors[^.]*\./.exec(text)?.[0]}`);
  return { pick, formStart, click, stored, ...(await tab.evaluate<Pick<Timed, "measures" | "requests" | "calls">>(COLLECT)) };
}

/** The upload in Playwright's own page (DevTools' Network domain on, as in the journeys). */
async function inPlaywright(page: Page, passphrase: string, policy: string, label: string): Promise<Timed> {
  await page.goto("/hospital/upload");
  await unlockGate(page, passphrase);
  await expect(page.getByText("1. Choose a file")).toBeVisible();
  const now = () => page.evaluate(() => performance.now());
  if (process.env.BENCH_UPLOAD_CALLS) await page.evaluate(WRAP_FETCH);
  await page.evaluate(() => performance.setResourceTimingBufferSize(100_000));
  const pick = await now();
  await page.getByLabel(/Drop a CSV/).setInputFiles(csv);
  await expect(page.getByTestId("preview")).toContainText(`${rows.toLocaleString("en-US")} records`, { timeout: 300_000 });
  const formStart = await now();
  await page.getByRole("button", { name: "De-identify" }).click();
  await expect(page.getByText("No HIPAA Safe Harbor identifiers found")).toBeVisible({ timeout: 300_000 });
  await page.getByLabel("Policy", { exact: true }).fill(policy);
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
  return { pick, formStart, click, stored, ...((await page.evaluate(COLLECT)) as Pick<Timed, "measures" | "requests" | "calls">) };
}

function chromiumPath(): string {
  if (!CHROMIUM_PATH)
    throw new Error("the plain-Chromium timing needs Debian's Chromium (/usr/bin/chromium); BENCH_UPLOAD_BROWSER=playwright uses Playwright's page");
  return CHROMIUM_PATH;
}
