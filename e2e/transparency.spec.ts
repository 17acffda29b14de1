import { expect, test } from "./fixtures/test";
import type { Page } from "@playwright/test";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { unlockGate } from "./fixtures/helpers";

// Issue #16: the hospital's browser verifies that its upload is in the CSP's transparency log
// (inclusion proof + the CSP's signed head, checked in Chromium), the researcher's browser checks
// the same before it shows what it decrypted, and /admin/audit shows each log's head and its witness.
test.describe.configure({ timeout: 300_000, mode: "serial" });

const WDBC = path.resolve("..", "shared", "datasets", "wdbc.csv");
let admin: Page;
let staff: Page;
let code: string;

test.beforeAll(async ({ browser }) => {
  // Registration, approval, key intake and a 569-record upload, on a machine shared with others.
  test.setTimeout(600_000);
  admin = await adminPage(browser);
  code = await createCatalogue(admin, ["hospital", "researcher"]);
  const made = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Log");
  staff = made.page;
  await staff.goto("/hospital/upload");
  await unlockGate(staff, made.a.passphrase);
  await staff.getByLabel(/Drop a CSV/).setInputFiles(WDBC);
  await expect(staff.getByTestId("preview")).toContainText("569 records");
  await staff.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await staff.getByLabel("Label").fill("Logged WDBC");
  await staff.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(staff.getByText("Upload stored")).toBeVisible({ timeout: 180_000 });
});

test("the hospital page verifies the upload's inclusion proof in the browser and keeps the CSP's head", async () => {
  const proofs: string[] = [];
  staff.on("response", (r) => {
    if (/\/api\/uploads\/[^/]+\/log-proof/.test(r.url())) proofs.push(r.url());
  });
  await staff.goto("/hospital");
  const check = staff.getByTestId("log-check-Logged WDBC");
  await expect(check).toContainText(/In the CSP's log \(entry #\d+ of \d+, verified here\)/, { timeout: 30_000 });
  expect(proofs.length).toBeGreaterThan(0);
  const kept = await staff.evaluate(() => JSON.parse(localStorage.getItem("medshare:log-head:csp") ?? "null") as { size: number; root: string } | null);
  expect(kept?.size).toBeGreaterThan(0);
  expect(kept?.root).toMatch(/^[0-9a-f]{64}$/);

  // Second visit: the proof is fetched with the kept size and checked for consistency.
  await staff.reload();
  await expect(check).toContainText("In the CSP's log", { timeout: 30_000 });
  expect(proofs.at(-1)).toContain(`since=${kept!.size}`);
});

test("a tampered proof, entry or head is refused in the browser, never shown as verified", async () => {
  const tamper = async (edit: (p: Record<string, unknown>) => void) => {
    await staff.route("**/api/uploads/*/log-proof*", async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as Record<string, unknown>;
      edit(body);
      await route.fulfill({ response: res, json: body });
    });
    await staff.goto("/hospital");
    const check = staff.getByTestId("log-check-Logged WDBC");
    await expect(check).toContainText("Not verified in the CSP's log", { timeout: 30_000 });
    await expect(check).not.toContainText("verified here");
    await staff.unroute("**/api/uploads/*/log-proof*");
    return check;
  };
  let check = await tamper((p) => ((p.entry as { data: Record<string, unknown> }).data.records = 570));
  await expect(check).toContainText("inclusion proof does not lead");
  check = await tamper((p) => ((p.sth as { root: string }).root = "00".repeat(32)));
  await expect(check).toContainText("not signed by the CSP's log key");
  check = await tamper((p) => ((p.entry as { data: Record<string, unknown> }).data.digest = "ab".repeat(32)));
  await expect(check).toContainText("another envelope digest");
  // A head smaller than the one this browser kept: a rollback.
  await staff.evaluate(() => {
    const kept = JSON.parse(localStorage.getItem("medshare:log-head:csp")!) as { size: number; root: string };
    localStorage.setItem("medshare:log-head:csp", JSON.stringify({ size: kept.size + 100, root: kept.root }));
  });
  await staff.goto("/hospital");
  await expect(staff.getByTestId("log-check-Logged WDBC")).toContainText("rollback", { timeout: 30_000 });
  await staff.evaluate(() => localStorage.removeItem("medshare:log-head:csp"));
});

test("the researcher's browser shows decrypted records only once the upload is proven in the CSP's log; a tampered proof shows nothing", async ({
  browser,
}) => {
  const researcher = await approvedPerson(browser, admin, "Institute researcher", [`${code}.researcher`], "LogRes");
  const page = researcher.page;
  await page.getByRole("button", { name: "Create transform key" }).click();
  await expect(page.getByTestId("tk-status")).toContainText("Stored with the authority");
  const dataCalls: string[] = [];
  page.on("request", (r) => {
    if (/\/api\/requests\/[^/]+\/data/.test(r.url())) dataCalls.push(r.url());
  });
  const request = async () => {
    await page.goto("/research");
    await page.getByRole("checkbox", { name: "Choose Logged WDBC" }).check();
    await page.getByLabel("Purpose of use").fill("Checking the transparency log before reading");
    await page.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
    await page.getByRole("button", { name: "Request, sign and decrypt" }).click();
    await unlockGate(page, researcher.a.passphrase);
  };

  await request();
  await expect(page.getByText("Logged WDBC: 569 records decrypted in your browser")).toBeVisible({ timeout: 180_000 });
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem("medshare:log-head:csp") ?? "null") as { size: number; root: string } | null);
  expect(kept?.size, "the browser keeps the CSP head it verified").toBeGreaterThan(0);

  // A malformed kept-head size is a 422 before anything reaches the CSP.
  for (const bad of ["abc", "-1", "1e400", "9007199254740993"]) {
    const r = await page.request.get(`/api/requests/${randomUUID()}/data?since=${bad}`, { headers: { "x-request-token": "x" } });
    expect(r.status(), `since=${bad}`).toBe(422);
  }

  // The CSP answers with an entry that names another envelope: the records are not shown.
  await page.route("**/api/requests/*/data*", async (route) => {
    const res = await route.fetch();
    const body = (await res.json()) as { uploads: Array<{ log: { entry: { data: Record<string, unknown> } } | null }> };
    for (const u of body.uploads) if (u.log) u.log.entry.data.digest = "ab".repeat(32);
    await route.fulfill({ response: res, json: body });
  });
  await request();
  await expect(page.getByTestId("request-outcome")).toContainText("SOURCE NOT VERIFIED: not in the CSP's transparency log", { timeout: 180_000 });
  await expect(page.getByText("records decrypted in your browser")).toHaveCount(0);
  // the second answer was asked with the head this browser kept, for a consistency proof
  expect(dataCalls.at(-1)).toContain(`since=${kept!.size}`);
  await page.unroute("**/api/requests/*/data*");
});

test("/admin/audit shows each log's signed head and its witness, and both agree after 'Witness now'", async () => {
  await admin.goto("/admin/audit");
  await expect(admin.getByTestId("head-authority")).toContainText("valid (Ed25519");
  await expect(admin.getByTestId("head-csp")).toContainText("valid (Ed25519");
  await expect(admin.getByTestId("head-csp-size")).toContainText(/\d+ entries/);
  await admin.getByRole("button", { name: "Witness now" }).click();
  await expect(admin.getByTestId("witness-result")).toContainText("Both witnesses agree", { timeout: 30_000 });
  await expect(admin.getByTestId("witness-of-authority-status")).toContainText("Agrees");
  await expect(admin.getByTestId("witness-of-csp-status")).toContainText("Agrees");
  await expect(admin.getByTestId("witness-of-csp")).toContainText(/last agreed \d{4}-\d\d-\d\d/);
  // each attribute authority's log too: its head, valid under the key the authority witnesses it with, and agreeing
  for (const aa of ["HA1", "NRI"]) {
    await expect(admin.getByTestId(`head-aa-${aa}`)).toContainText("valid (Ed25519");
    await expect(admin.getByTestId(`head-aa-${aa}-size`)).toContainText(/\d+ entries/);
    await expect(admin.getByTestId(`witness-of-aa-${aa}-status`)).toContainText("Agrees");
  }
  // No alert on /admin while the witnesses agree.
  await admin.goto("/admin");
  await expect(admin.getByTestId("log-alerts")).toHaveCount(0);
});
