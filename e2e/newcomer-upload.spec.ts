/**
 * Issue #17 items 4, 5 and 6: what a new hospital user tripped over on the upload page. The
 * policy builder's chips read and edit the typed policy; the label follows the picked file; a
 * binary file is "not a text file"; after success the page offers "Upload another file", and the
 * same file again is flagged before it is stored twice; an upload whose clustering tensors did
 * not arrive says so on /hospital, is retried from there, and the clustering picker says why it
 * is missing. Screenshots at 390 px and 1280 px go to .data/screenshots/.
 */
import { type Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { e2eSql } from "./fixtures/database";
import { unlockGate, type Applicant } from "./fixtures/helpers";

test.describe.configure({ timeout: 300_000, mode: "serial" });

const WDBC = path.resolve("..", "shared", "datasets", "wdbc.csv");
const sql = e2eSql;

let staff: { a: Applicant; page: Page };
let admin: Page;
let code = "";

/** Full-page screenshots at phone and desktop widths, for a person to look at. */
async function shot(page: Page, name: string) {
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.resolve(".data", "screenshots", `newcomer-upload-${name}-${width}.png`), fullPage: true });
  }
}

function file(name: string, content: string | Buffer): string {
  const out = test.info().outputPath(name);
  writeFileSync(out, content);
  return out;
}

/** A small CSV with two numeric columns (enough for clustering tensors). */
const smallCsv = (name: string, seed: number) =>
  file(
    name,
    ["marker,value,score", ...Array.from({ length: 12 }, (_, i) => `m${seed}-${i},${(seed + i * 1.25).toFixed(2)},${(i * 0.5 + 3).toFixed(1)}`)].join("\n") +
      "\n",
  );

async function openUpload(page: Page) {
  await page.goto("/hospital/upload");
  await unlockGate(page, staff.a.passphrase);
  await expect(page.getByText("1. Choose a file")).toBeVisible();
}

const beforeUnloadBlocked = (page: Page) =>
  page.evaluate(() => {
    const e = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000); // registering, approving and taking in keys is slow on a loaded machine
  admin = await adminPage(browser);
  code = await createCatalogue(admin, ["hospital", "researcher", "cardiology", "oncology"]);
  staff = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Newcomer");
});

test("item 5: chips reflect and edit the typed policy without destroying it; the label follows the picked file; the example policy exists", async () => {
  const page = staff.page;
  await openUpload(page);
  const input = page.getByLabel(/Drop a CSV/);
  const label = page.getByLabel("Label");
  await input.setInputFiles(smallCsv("ward-a.csv", 1));
  await expect(label).toHaveValue("ward-a");
  await input.setInputFiles(smallCsv("ward-b.csv", 2));
  await expect(label).toHaveValue("ward-b");
  // a label the person typed stays when another file is picked
  await label.fill("Cardiology ward, March");
  await input.setInputFiles(smallCsv("ward-c.csv", 3));
  await expect(page.getByTestId("picked-file")).toContainText("ward-c.csv read as CSV");
  await expect(label).toHaveValue("Cardiology ward, March");

  const policy = page.getByLabel("Policy", { exact: true });
  const chip = (a: string) => page.getByRole("checkbox", { name: `${code}.${a}`, exact: true });
  // what a mouse user clicks: the chip (its checkbox is visually hidden)
  const clickChip = (a: string) =>
    page
      .locator("label")
      .filter({ has: chip(a) })
      .click();
  // the placeholder's example uses attributes of the catalogue, and is accepted as typed
  const example = (await policy.getAttribute("placeholder"))!.replace(/^e\.g\. /, "");
  for (const attribute of example.match(/[A-Za-z][\w-]*\.[A-Za-z][\w-]*/g)!)
    await expect(page.getByRole("checkbox", { name: attribute, exact: true })).toHaveCount(1);
  await policy.fill(example);
  await expect(page.getByTestId("policy-feedback")).toContainText("Readable by");
  // the example names the catalogue's first attributes, which may be another journey's authority
  await expect(page.getByTestId("policy-readers")).toContainText("Keys for it can be issued by");
  await shot(page, "who-can-read");

  // the issue's example: chips show what is typed, a chip click adds with AND and keeps the rest
  const typed = `${code}.researcher AND (${code}.cardiology OR ${code}.oncology)`;
  await policy.fill(typed);
  for (const a of ["researcher", "cardiology", "oncology"]) await expect(chip(a)).toBeChecked();
  await expect(chip("hospital")).not.toBeChecked();
  await chip("hospital").focus();
  await page.keyboard.press("Space");
  await expect(policy).toHaveValue(`${typed} AND ${code}.hospital`);
  await expect(chip("hospital")).toBeChecked();
  // a nested policy's groups combine as typed: the gate buttons say so and stay out of it
  await expect(page.getByText("The policy nests groups; edit its text")).toBeVisible();
  await expect(page.getByRole("radio", { name: "any of them (OR)" })).toBeDisabled();
  // removing an attribute keeps the structure around it
  await clickChip("researcher");
  await expect(policy).toHaveValue(`(${code}.cardiology OR ${code}.oncology) AND ${code}.hospital`);
  await expect(chip("researcher")).not.toBeChecked();
  await shot(page, "policy-chips");

  // a flat policy grows within its own gate, and the gate reflects it
  await policy.fill(`${code}.researcher OR ${code}.cardiology`);
  await expect(page.getByRole("radio", { name: "any of them (OR)" })).toBeChecked();
  await clickChip("oncology");
  await expect(policy).toHaveValue(`${code}.researcher OR ${code}.cardiology OR ${code}.oncology`);
  await page.getByRole("radio", { name: "all of them (AND)" }).check();
  await expect(policy).toHaveValue(`${code}.researcher AND ${code}.cardiology AND ${code}.oncology`);

  // text that does not parse: the chips say so and never rewrite it
  const broken = `${code}.researcher AND (${code}.cardiology OR`;
  await policy.fill(broken);
  await expect(page.getByTestId("chips-hint")).toContainText("does not parse");
  await expect(chip("hospital")).toBeDisabled();
  await expect(chip("researcher")).not.toBeChecked();
  await expect(policy).toHaveValue(broken);
  await shot(page, "policy-unparsable");
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("item 6: a PNG, NUL bytes or invalid UTF-8 renamed .csv/.json is 'not a text file', before any parsing", async () => {
  const page = staff.page;
  await openUpload(page);
  const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
  const cases: Array<[string, Buffer, RegExp]> = [
    ["scan.csv", png, /it looks like a PNG image/],
    ["scan.json", png, /it looks like a PNG image/],
    ["export.csv", Buffer.concat([Buffer.from("id,age\n1,"), Buffer.from([0, 0, 0x10, 0x42]), Buffer.from("\n")]), /NUL bytes/],
    ["latin1.csv", Buffer.from([...Buffer.from("name,age\nJos"), 0xe9, ...Buffer.from(",42\n")]), /not valid UTF-8/],
  ];
  for (const [name, bytes, reason] of cases) {
    await page.getByLabel(/Drop a CSV/).setInputFiles(file(name, bytes));
    const issues = page.getByTestId("parse-issues");
    await expect(issues).toContainText("This is not a text file");
    await expect(issues).toContainText(reason);
    // one clear error, not dozens of garbled rows
    await expect(issues.getByRole("listitem")).toHaveCount(1);
    await expect(page.getByTestId("picked-file")).toContainText(`${name} was not read.`);
    await expect(page.getByTestId("preview")).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Encrypt and upload" })).toHaveCount(0);
    if (name === "scan.csv") await shot(page, "not-a-text-file");
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("a semicolon-separated export with decimal commas is read as its table, and the page says how it was read", async () => {
  const page = staff.page;
  await openUpload(page);
  const rows = Array.from({ length: 6 }, (_, i) => `P${100 + i};${60 + i},5;${i % 2 ? "F" : "M"}`);
  await page.getByLabel(/Drop a CSV/).setInputFiles(file("export-semicolons.csv", Buffer.from(["patient_id;weight_kg;sex", ...rows].join("\n") + "\n")));
  await expect(page.getByTestId("parse-issues")).toContainText("separated by semicolons, not commas");
  await expect(page.getByTestId("parse-issues")).toContainText("decimal commas (1,5 read as 1.5)");
  const preview = page.getByTestId("preview");
  await expect(preview).toContainText("6 records");
  await expect(preview).toContainText("weight_kg");
  await expect(preview).toContainText("60.5");
  await expect(page.getByRole("button", { name: "Encrypt and upload" })).toBeVisible();
});

test("item 4: leaving mid-upload warns; after success 'Upload another file' replaces the button; the same file again is flagged and needs confirming", async () => {
  const page = staff.page;
  const source = smallCsv("lab-results.csv", 7);
  const label = `Lab results ${code}`;
  await openUpload(page);
  await page.getByLabel(/Drop a CSV/).setInputFiles(source);
  await expect(page.getByTestId("preview")).toContainText("12 records");
  await expect(page.getByTestId("duplicate-warning")).toHaveCount(0);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(label);
  // hold the chunks so the page is caught mid-upload
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  let puts = 0;
  await page.route("**/api/uploads/*/chunks/*", async (route) => {
    puts++;
    await held;
    await route.continue();
  });
  expect(await beforeUnloadBlocked(page)).toBe(false);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect.poll(() => puts, { timeout: 120_000 }).toBeGreaterThan(0);
  expect(await beforeUnloadBlocked(page)).toBe(true);
  await expect(page.getByRole("button", { name: "Encrypt and upload" })).toBeDisabled();
  release();
  await expect(page.getByText("Upload stored")).toBeVisible({ timeout: 120_000 });
  await page.unrouteAll({ behavior: "ignoreErrors" });
  expect(await beforeUnloadBlocked(page)).toBe(false);
  // no second click can store a copy: the button is gone, a fresh start is offered instead
  await expect(page.getByRole("button", { name: "Encrypt and upload" })).toHaveCount(0);
  await shot(page, "upload-stored");
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole("button", { name: "Upload another file" }).click();
  await expect(page.getByTestId("preview")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Upload another file" })).toHaveCount(0);

  // the same file again: named, and only after confirming
  await page.getByLabel(/Drop a CSV/).setInputFiles(source);
  await expect(page.getByTestId("duplicate-warning")).toContainText(`“${label}” (12 records`);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await expect(page.getByLabel("Label")).toHaveValue("lab-results");
  const upload = page.getByRole("button", { name: "Encrypt and upload" });
  await expect(upload).toBeDisabled();
  await shot(page, "same-file-again");
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole("checkbox", { name: "Upload it again anyway" }).check();
  await expect(upload).toBeEnabled();
  // another file is not flagged
  await page.getByLabel(/Drop a CSV/).setInputFiles(smallCsv("lab-results-april.csv", 8));
  await expect(page.getByTestId("preview")).toContainText("12 records");
  await expect(page.getByTestId("duplicate-warning")).toHaveCount(0);
  expect(await sql(`SELECT status::text FROM csp.uploads WHERE label = $1 AND source_digest ~ '^[0-9a-f]{64}$'`, [label])).toEqual([{ status: "STORED" }]);
});

test("item 4: an upload whose clustering tensors failed says so on /hospital and in the clustering picker, and is retried from the kept tensors", async () => {
  const page = staff.page;
  const label = `WDBC no tensors ${code}`;
  await openUpload(page);
  await page.getByLabel(/Drop a CSV/).setInputFiles(WDBC);
  await expect(page.getByTestId("preview")).toContainText("569 records");
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(label);
  // the block's second run of feature ciphertexts is refused (30 ciphertexts of 393 KB go as runs of 21 and 9,
  // lib/uploads/feature-batch.ts): the records are stored, the tensors are not
  // The two runs travel at once; the refusal is held until the first run's answer is in, or the browser, stopping at
  // the refusal, may abort the first run before it lands (CI saw "0 of 30 arrived").
  let firstStored!: () => void;
  const firstRun = new Promise<void>((resolve) => (firstStored = resolve));
  await page.route("**/api/uploads/*/features/0", async (route) => {
    const body = route.request().postDataBuffer();
    if (!body || body.readUInt32BE(4) === 0) {
      const response = await route.fetch();
      await route.fulfill({ response });
      return firstStored();
    }
    await firstRun;
    return route.fulfill({ status: 422, json: { error: { code: "VALIDATION", message: "tensor refused by the test" } } });
  });
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("Upload stored, without clustering data")).toBeVisible({ timeout: 180_000 });
  await expect(page.getByText(/tensor refused by the test/)).toBeVisible();
  await page.unrouteAll({ behavior: "ignoreErrors" });
  const [{ id }] = await sql<{ id: string }>(`SELECT id::text FROM csp.uploads WHERE label = $1 AND status = 'STORED'`, [label]);
  expect(await sql(`SELECT status::text FROM csp.upload_features WHERE upload_id = $1`, [id])).toEqual([{ status: "RECEIVING" }]);

  // /hospital: not the green "stored, verified"; says why and offers the retry
  await page.goto("/hospital");
  await expect(page.getByTestId(`stored-${label}`)).toHaveCount(0);
  // the first run arrived whole, the refused one not at all
  const stopped = page.getByTestId(`no-clustering-${label}`);
  await expect(stopped).toContainText(/no clustering data: sending the encrypted clustering tensors stopped \(\d+ of \d+ arrived\)/);
  const [, arrived, total] = /\((\d+) of (\d+) arrived\)/.exec((await stopped.textContent()) ?? "")!;
  expect([Number(arrived), Number(total)]).toEqual([21, 30]);
  const retry = page.getByRole("button", { name: `Retry sending the clustering data of ${label}` });
  await expect(retry).toBeVisible();
  await shot(page, "hospital-no-clustering-data");
  await page.setViewportSize({ width: 1280, height: 900 });

  // the clustering picker says why the upload is not offered
  await admin.goto("/admin/clustering");
  const missing = admin.getByTestId(`missing-${label}`);
  await expect(missing).toContainText(`no clustering data: its encrypted clustering tensors are incomplete (${arrived} of`);
  await admin.getByTestId("uploads-without-clustering-data").locator("summary").click();
  await expect(missing).toBeVisible();
  await shot(admin, "clustering-picker-missing");
  await admin.setViewportSize({ width: 1280, height: 900 });

  // retried from the tensors this browser kept: stored, and the package is gone
  await retry.click();
  await expect(page.getByTestId(`stored-${label}`)).toContainText("stored, verified", { timeout: 120_000 });
  expect(await sql(`SELECT status::text FROM csp.upload_features WHERE upload_id = $1`, [id])).toEqual([{ status: "STORED" }]);
  await expect
    .poll(() =>
      page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            const req = indexedDB.open("medshare-pending-uploads", 1);
            req.onupgradeneeded = () => req.result.createObjectStore("uploads", { keyPath: "id" });
            req.onsuccess = () => {
              const count = req.result.transaction("uploads").objectStore("uploads").count();
              count.onsuccess = () => {
                req.result.close();
                resolve(count.result);
              };
            };
          }),
      ),
    )
    .toBe(0);
  await admin.goto("/admin/clustering");
  await expect(admin.getByTestId(`missing-${label}`)).toHaveCount(0);
});
