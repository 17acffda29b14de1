/**
 * Issue #11 item 8: an upload interrupted by a page reload is resumed from /hospital with the
 * encrypted package this browser kept (IndexedDB), sending only the chunks the cloud lacks.
 */
import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { e2eSql } from "./fixtures/database";
import { unlockGate, type Applicant } from "./fixtures/helpers";

test.describe.configure({ timeout: 300_000, mode: "serial" });

const WDBC = path.resolve("..", "shared", "datasets", "wdbc.csv");
const COPIES = 4;
/** WDBC four times over: its ciphertexts fill several 512 KiB chunks (WDBC alone fits in one). */
function largeCsv(): string {
  const [header, ...rows] = readFileSync(WDBC, "utf8").trimEnd().split("\n");
  const file = test.info().outputPath("wdbc-x4.csv");
  writeFileSync(file, [header, ...Array.from({ length: COPIES }, () => rows).flat()].join("\n") + "\n");
  return file;
}
const RECORDS = 569 * COPIES;

const sql = e2eSql;

/** This browser's kept packages, bytes as latin1 text so a test can look for plaintext in them. */
const packages = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const req = indexedDB.open("medshare-pending-uploads", 1);
        req.onupgradeneeded = () => req.result.createObjectStore("uploads", { keyPath: "id" });
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const all = req.result.transaction("uploads").objectStore("uploads").getAll();
          all.onsuccess = () => {
            req.result.close();
            const text = (b: Uint8Array) => Array.from(b, (x) => String.fromCharCode(x)).join("");
            resolve(
              all.result.map((p) =>
                JSON.stringify({
                  ...p,
                  chunks: p.chunks.map(text),
                  features: p.features && { ...p.features, blocks: p.features.blocks.length, stats: p.features.stats.length },
                }),
              ),
            );
          };
        };
      }),
  );

let staff: { a: Applicant; page: Page };
let code = "";

test.beforeAll(async ({ browser }) => {
  const admin = await adminPage(browser);
  code = await createCatalogue(admin, ["hospital", "researcher"]);
  staff = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Resume");
});

test("an upload interrupted by a reload is resumed from /hospital, sending only the missing chunks; the kept package is then gone", async () => {
  const page = staff.page;
  const label = `WDBC resumed ${code}`;
  let start: { uploadId: string; chunkCount: number; recordCount: number } | null = null;
  await page.route("**/api/uploads", async (route) => {
    if (route.request().method() === "POST") start = route.request().postDataJSON();
    await route.continue();
  });
  // the first chunk goes through; the others hang until the page is reloaded
  let release = () => {};
  const hung = new Promise<void>((r) => (release = r));
  let puts = 0;
  await page.route("**/api/uploads/*/chunks/*", async (route) => {
    if (puts++ === 0) return route.continue();
    await hung;
    await route.abort("connectionreset").catch(() => undefined);
  });
  await page.goto("/hospital/upload");
  await unlockGate(page, staff.a.passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(largeCsv());
  await expect(page.getByTestId("preview")).toContainText(`${RECORDS.toLocaleString("en-US")} records`);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(label);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect.poll(() => puts, { timeout: 120_000 }).toBeGreaterThan(1);
  expect(start!.chunkCount).toBeGreaterThan(2);
  await expect.poll(async () => (await sql(`SELECT 1 FROM csp.upload_chunks WHERE upload_id = $1`, [start!.uploadId])).length).toBe(1);

  // leaving mid-upload asks first; the test confirms and reloads
  const dialogs: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.type());
    void d.accept();
  });
  await page.reload();
  release();
  await page.unrouteAll({ behavior: "ignoreErrors" });
  expect(dialogs).toContain("beforeunload");

  // the kept package is ciphertext only: no WDBC value in it
  const kept = await packages(page);
  expect(kept).toHaveLength(1);
  const values = [
    ...new Set(
      readFileSync(WDBC, "utf8")
        .split(/[\n,]/)
        .filter((v) => /^\d+\.\d{4,}$/.test(v)),
    ),
  ];
  for (const v of values) expect(kept[0].includes(v), `plaintext ${v} is kept in the browser`).toBe(false);

  await page.goto("/hospital");
  const row = page.getByTestId(`upload-${label}`);
  await expect(page.getByTestId(`unfinished-${label}`)).toContainText(`1 of ${start!.chunkCount} chunks arrived`);
  const sent: string[] = [];
  page.on("request", (r) => {
    const m = /\/api\/uploads\/[^/]+\/chunks\/(\d+)$/.exec(new URL(r.url()).pathname);
    if (m && r.method() === "PUT") sent.push(m[1]);
  });
  await page.getByRole("button", { name: `Resume ${label}` }).click();
  await expect(row).toContainText("stored, verified", { timeout: 120_000 });
  await expect(row).toContainText(RECORDS.toLocaleString("en-US"));
  // only the missing chunks went out, each once
  expect(sent.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: start!.chunkCount - 1 }, (_, i) => String(i + 1)));
  expect(await sql(`SELECT status::text, record_count FROM csp.uploads WHERE id = $1`, [start!.uploadId])).toEqual([
    { status: "STORED", record_count: RECORDS },
  ]);
  // the clustering tensors kept with the package were sent too
  await expect
    .poll(async () => (await sql<{ status: string }>(`SELECT status::text FROM csp.upload_features WHERE upload_id = $1`, [start!.uploadId]))[0]?.status)
    .toBe("STORED");
  expect(await packages(page)).toEqual([]);
});

test("an unfinished upload this browser holds no package for can only be discarded, and says why", async () => {
  const page = staff.page;
  const label = `WDBC elsewhere ${code}`;
  await page.route("**/api/uploads/*/complete", (route) =>
    route.fulfill({ status: 422, json: { error: { code: "VALIDATION", message: "completion held back by the test" } } }),
  );
  await page.goto("/hospital/upload");
  await unlockGate(page, staff.a.passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(WDBC);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(label);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("completion held back by the test")).toBeVisible({ timeout: 120_000 });
  await page.unrouteAll();
  // the server said no, so the package was dropped: the row explains and offers only Discard
  expect(await packages(page)).toEqual([]);
  await page.goto("/hospital");
  await expect(page.getByTestId(`resume-absent-${label}`)).toContainText("can only be resumed from the browser that started it");
  await expect(page.getByRole("button", { name: `Resume ${label}` })).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Discard ${label}` })).toBeVisible();
});
