import { expect, test } from "./fixtures/test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { e2eSql } from "./fixtures/database";
import { unlockGate } from "./fixtures/helpers";

test.describe.configure({ timeout: 900_000 });

const WDBC = path.resolve("..", "shared", "datasets", "wdbc.csv");
const SHOTS = path.resolve(".data", "screenshots");
const TERMS = "I accept the terms of use of the hospitals whose records I request";

/** The researcher asks for the upload; the hospital decides, so the request waits after the signature verifies. */
async function askAndWait(rp: Page, label: string, purpose: string, passphrase: string, unlock: boolean) {
  await rp.goto("/research");
  await rp.getByRole("checkbox", { name: `Choose ${label}` }).check();
  await rp.getByLabel("Purpose of use").fill(purpose);
  await rp.getByLabel(TERMS).check();
  await rp.getByRole("button", { name: "Request, sign and decrypt" }).click();
  if (unlock) await unlockGate(rp, passphrase);
  await expect(rp.getByText("Your signature verified. The hospital that owns these records decides this request")).toBeVisible({ timeout: 120_000 });
  await expect(rp.getByTestId("records-table")).toHaveCount(0);
}

/** Issue #15, owner decisions: the named approver approves one request and denies another; the researcher sees both; the CSP serves only the approved one. */
test("a hospital approver approves one request and denies another; the researcher sees both outcomes and decrypts only the approved one", async ({
  browser,
}) => {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["hospital", "researcher"]);
  const { a: staff, page } = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Own");
  const file = test.info().outputPath("wdbc-40.csv");
  writeFileSync(file, readFileSync(WDBC, "utf8").split("\n").slice(0, 41).join("\n") + "\n");
  const label = `WDBC decided ${code}`;
  await page.goto("/hospital/upload");
  await unlockGate(page, staff.passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(file);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(label);
  await page.getByRole("radio", { name: /The hospital decides/ }).check();
  await page.getByLabel("Approver", { exact: true }).selectOption({ label: staff.name });
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("30 numeric fields were encrypted for clustering (CKKS) and stored.")).toBeVisible({ timeout: 180_000 });

  const { a: res, page: rp } = await approvedPerson(browser, admin, "Institute researcher", [`${code}.researcher`], "OwnRes");
  await rp.getByRole("button", { name: "Create transform key" }).click();
  await expect(rp.getByTestId("tk-status")).toContainText("Stored with the authority");

  // Without the hospital's terms ticked, the request cannot be sent.
  await rp.goto("/research");
  await rp.getByRole("checkbox", { name: `Choose ${label}` }).check();
  await rp.getByLabel("Purpose of use").fill("Without the terms");
  await expect(rp.getByRole("button", { name: "Request, sign and decrypt" })).toBeDisabled();

  await askAndWait(rp, label, "Owner study A, to approve", res.passphrase, true);
  await askAndWait(rp, label, "Owner study B, to deny", res.passphrase, true);
  const waiting = await rp.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith("medshare-waiting-request:"))
      .map((k) => ({ id: k.split(":")[1], token: (JSON.parse(localStorage.getItem(k)!) as { token: string }).token })),
  );
  expect(waiting).toHaveLength(2);

  // Before any decision the CSP serves nothing for either request.
  for (const w of waiting) {
    const r = await rp.request.get(`/api/requests/${w.id}/data`, { headers: { "x-request-token": w.token } });
    expect(r.status(), "the CSP refuses a request still awaiting its hospital").toBeGreaterThanOrEqual(400);
    expect(r.status()).toBeLessThan(500);
  }

  // The named approver decides at /hospital.
  await page.goto("/hospital");
  const rowA = page.getByTestId("hospital-requests").getByRole("listitem").filter({ hasText: "Owner study A, to approve" });
  const rowB = page.getByTestId("hospital-requests").getByRole("listitem").filter({ hasText: "Owner study B, to deny" });
  await expect(rowA.getByTestId("decide-request")).toBeVisible();
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 844 });
    await rowB.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, `owner-decisions-hospital-${width}.png`), fullPage: true });
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(width);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await rowA.getByRole("button", { name: `Approve the request of ${res.name}` }).click();
  await expect(page.getByText(/^Approved: /)).toBeVisible();
  await rowB.getByRole("button", { name: `Deny the request of ${res.name}` }).click();
  const dialog = page.getByRole("dialog", { name: "Deny this request?" });
  await dialog.getByRole("button", { name: "Deny request" }).click();
  // a denial needs a reason: the form does not submit without one (the server refuses one too: tests/owner-decisions.test.ts)
  await expect(dialog).toBeVisible();
  expect(await dialog.getByLabel("Reason").evaluate((el) => (el as HTMLTextAreaElement).validity.valueMissing)).toBe(true);
  await expect(rowB.getByTestId("decide-request")).toBeVisible();
  await dialog.getByLabel("Reason").fill("Outside the consent our patients gave");
  await dialog.getByRole("button", { name: "Deny request" }).click();
  await expect(page.getByText(/^Denied: /)).toBeVisible();
  await expect(rowA.getByTestId("decide-request")).toHaveCount(0);
  await expect(rowB.getByTestId("decide-request")).toHaveCount(0);

  // The researcher is told both outcomes in the portal.
  await rp.goto("/research");
  const mine = rp.getByTestId("my-requests");
  await expect(mine.getByRole("listitem").filter({ hasText: "Owner study A, to approve" }).getByTestId("my-request-decision")).toContainText(
    "Approved by the hospital",
  );
  await expect(mine.getByRole("listitem").filter({ hasText: "Owner study B, to deny" }).getByTestId("my-request-decision")).toContainText(
    "Denied by the hospital: Outside the consent our patients gave",
  );
  for (const width of [1280, 390]) {
    await rp.setViewportSize({ width, height: 844 });
    await rp.screenshot({ path: path.join(SHOTS, `owner-decisions-research-${width}.png`), fullPage: true });
  }
  await rp.setViewportSize({ width: 1280, height: 800 });

  // The denied request: the CSP refuses it on a real call, whatever the browser holds.
  const [{ id: deniedId }] = await e2eSql<{ id: string }>(`SELECT id FROM csp.access_requests WHERE purpose = $1`, ["Owner study B, to deny"]);
  const deniedToken = waiting.find((w) => w.id === deniedId)!.token;
  const refused = await rp.request.get(`/api/requests/${deniedId}/data`, { headers: { "x-request-token": deniedToken } });
  expect(refused.status()).toBeGreaterThanOrEqual(400);
  expect(refused.status()).toBeLessThan(500);
  await expect(rp.getByRole("button", { name: "Decrypt Owner study B, to deny" })).toHaveCount(0);

  // The approved one decrypts from "Approved by the hospital".
  await rp.getByTestId("approved-requests").getByRole("button", { name: "Decrypt Owner study A, to approve" }).click();
  await unlockGate(rp, res.passphrase); // keys live in the page: locked again since the last load
  await expect(rp.getByText(`${label}: 40 records decrypted in your browser`)).toBeVisible({ timeout: 180_000 });

  // Every decision is in both parties' audit logs.
  for (const log of ["ledger", "csp_ledger"]) {
    const rows = await e2eSql<{ action: string; subject_id: string }>(
      `SELECT action, subject_id FROM ${log}.audit_entries WHERE action IN ('REQUEST_APPROVED', 'REQUEST_DENIED') AND subject_id IN ($1, $2)`,
      waiting.map((w) => w.id),
    );
    expect(rows.find((r) => r.subject_id === deniedId)?.action, `${log}: the denial`).toBe("REQUEST_DENIED");
    expect(rows.find((r) => r.subject_id !== deniedId)?.action, `${log}: the approval`).toBe("REQUEST_APPROVED");
  }
});
