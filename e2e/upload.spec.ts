import { expect, test } from "./fixtures/test";
import type { Page } from "@playwright/test";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generatePatients, toFhirBundle } from "@/lib/records/synthetic";
import { scanDatabase } from "@/tests/helpers/scan";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { e2eDatabaseUrl } from "./fixtures/database";
import { unlockGate, type Applicant } from "./fixtures/helpers";

test.describe.configure({ timeout: 300_000, mode: "serial" });

const WDBC = path.resolve("..", "shared", "datasets", "wdbc.csv");
// Signed-in staff session with its key store (IndexedDB), made once in beforeAll.
const STATE = path.resolve(".data", "e2e-upload-state.json");

async function openUpload(page: Page, person: Applicant) {
  await page.goto("/hospital/upload");
  await unlockGate(page, person.passphrase);
  await expect(page.getByText("1. Choose a file")).toBeVisible();
}

let staff: Applicant;
let code = "";

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000); // registering, approving and taking in keys is slow on a loaded machine
  const admin = await adminPage(browser);
  code = await createCatalogue(admin, ["hospital", "researcher", "cardiology"]);
  // the first visit to "My keys" takes in the issued keys
  const made = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Upload");
  staff = made.a;
  const { page } = made;
  // the page's browser context holds the key store; keep it for the tests through storage
  await page.context().storageState({ path: STATE, indexedDB: true });
});

test.use({ storageState: STATE });

test("uploads the WDBC CSV under a policy with progress, resuming after a dropped connection", async ({ page }) => {
  // slow the chunks down so progress is visible, and drop the first attempt at chunk 0
  let dropped = false;
  await page.route("**/api/uploads/*/chunks/*", async (route) => {
    if (!dropped) {
      dropped = true;
      return route.abort("connectionreset");
    }
    await new Promise((r) => setTimeout(r, 150));
    return route.continue();
  });
  // everything the browser sends: the server must never receive a plaintext value
  const sent: string[] = [];
  page.on("request", (r) => {
    const body = r.postDataBuffer();
    if (body) sent.push(body.toString("latin1"));
  });
  await openUpload(page, staff);
  await page.getByLabel(/Drop a CSV/).setInputFiles(WDBC);
  await expect(page.getByTestId("preview")).toContainText("569 records, 31 columns");
  await expect(page.getByText("No HIPAA Safe Harbor identifiers found")).toBeVisible();
  // who can read it: the uploader holds the hospital attribute; nobody holds researcher and cardiology of this fresh catalogue
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.hospital OR ${code}.researcher`);
  await expect(page.getByTestId("policy-readers")).toContainText("1 approved person holds a satisfying set of attributes today.");
  await expect(page.getByTestId("policy-readers")).toContainText(`Keys for it can be issued by ${code} alone (${code}: `);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher AND ${code}.cardiology`);
  await expect(page.getByTestId("policy-feedback")).toContainText("Readable by");
  await expect(page.getByTestId("policy-readers")).toContainText("No approved person holds a satisfying set of attributes today");
  await page.getByLabel("Label").fill("WDBC breast cancer");
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByRole("progressbar", { name: "Upload" })).toBeVisible();
  await expect(page.getByText("Upload stored")).toBeVisible({ timeout: 120_000 });
  expect(dropped).toBe(true);
  const values = [
    ...new Set(
      readFileSync(WDBC, "utf8")
        .split(/[\n,]/)
        .filter((v) => /^\d+\.\d{4,}$/.test(v)),
    ),
  ];
  expect(sent.length).toBeGreaterThan(2);
  for (const v of values)
    expect(
      sent.some((b) => b.includes(v)),
      `plaintext ${v} was sent`,
    ).toBe(false);
  await page.goto("/hospital");
  const row = page.getByTestId("upload-WDBC breast cancer");
  await expect(row).toContainText("569");
  await expect(row).toContainText(`${code}.researcher AND ${code}.cardiology`);
  await expect(row).toContainText("stored, verified");
});

test("uploads a generated FHIR Bundle after one-click de-identification", async ({ page }, info) => {
  const patients = generatePatients({ n: 60, seed: 7 });
  const file = info.outputPath("patients.fhir.json");
  writeFileSync(file, JSON.stringify(toFhirBundle(patients)));
  await openUpload(page, staff);
  await page.getByLabel(/Drop a CSV/).setInputFiles(file);
  await expect(page.getByText("read as a FHIR R4 Bundle")).toBeVisible();
  await expect(page.getByTestId("phi-findings")).toBeVisible();
  await page.getByRole("button", { name: "De-identify" }).click();
  await expect(page.getByText("No HIPAA Safe Harbor identifiers found")).toBeVisible();
  await page.getByLabel("Policy", { exact: true }).fill(`2 of (${code}.researcher, ${code}.cardiology, ${code}.hospital)`);
  await page.getByLabel("Label").fill("Synthetic FHIR cohort");
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("Upload stored")).toBeVisible({ timeout: 120_000 });
  await page.goto("/hospital");
  await expect(page.getByTestId("upload-Synthetic FHIR cohort")).toContainText("60");

  // nothing of either file is in the database in plaintext
  // five or more decimals: typicalities the CSP keeps after a clustering run are rounded to four
  const wdbcValues = [
    ...new Set(
      readFileSync(WDBC, "utf8")
        .split(/[\n,]/)
        .filter((v) => /^\d+\.\d{5,}$/.test(v)),
    ),
  ].slice(0, 60);
  const needles = [
    ...wdbcValues.map((v) => ({ name: `wdbc ${v}`, text: v })),
    ...patients.slice(0, 20).flatMap((p) => [
      { name: p.mrn, text: p.mrn },
      { name: p.ssn, text: p.ssn },
      { name: p.email, text: p.email },
      { name: p.id, text: p.id },
    ]),
  ];
  expect(needles.length).toBeGreaterThan(60);
  const hits = await scanDatabase(e2eDatabaseUrl(), needles);
  expect(hits, JSON.stringify(hits.slice(0, 5))).toEqual([]);
});

test("malformed files, unknown attributes and a tampered upload change nothing", async ({ page }, info) => {
  const ragged = info.outputPath("ragged.csv");
  writeFileSync(ragged, "a,b,c\n1,2,3\n4,5\n6,7,8\n");
  await openUpload(page, staff);
  await page.getByLabel(/Drop a CSV/).setInputFiles(ragged);
  await expect(page.getByTestId("parse-issues")).toContainText("nothing will be uploaded");
  await expect(page.getByTestId("parse-issues")).toContainText("Row 2");
  await expect(page.getByRole("button", { name: "Encrypt and upload" })).toHaveCount(0);

  const badFhir = info.outputPath("bad.json");
  writeFileSync(
    badFhir,
    JSON.stringify({
      resourceType: "Bundle",
      type: "collection",
      entry: [
        {
          resource: { resourceType: "Observation", status: "final", code: { text: "x" }, subject: { reference: "Patient/ghost" }, valueQuantity: { value: 1 } },
        },
      ],
    }),
  );
  await page.getByLabel(/Drop a CSV/).setInputFiles(badFhir);
  await expect(page.getByTestId("parse-issues")).toContainText("entry[0]");

  const small = info.outputPath("small.csv");
  writeFileSync(small, "marker,value\nalpha-77121,1.5\nbeta-77122,2.5\n");
  await page.getByLabel(/Drop a CSV/).setInputFiles(small);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher AND HA9.unknown`);
  await expect(page.getByTestId("policy-feedback")).toContainText("Unknown attribute: HA9.unknown");
  await expect(page.getByRole("button", { name: "Encrypt and upload" })).toBeDisabled();
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher AND`);
  await expect(page.getByTestId("policy-feedback")).toContainText("position");

  // one byte changed in transit: the CSP rejects the upload and stores nothing
  await page.route("**/api/uploads/*/chunks/*", async (route) => {
    const body = Buffer.from(route.request().postDataBuffer()!);
    body[body.length - 3] ^= 0x01;
    await route.continue({ postData: body });
  });
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill("Tampered in transit");
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("Not uploaded")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(/do not match the envelope's commitment/)).toBeVisible();
  await page.goto("/hospital");
  await expect(page.getByTestId("upload-Tampered in transit")).toHaveCount(0);
  expect(await scanDatabase(e2eDatabaseUrl(), [{ name: "marker", text: "alpha-77121" }])).toEqual([]);
});
