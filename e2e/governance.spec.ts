import { expect, test } from "./fixtures/test";
import path from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { e2eSql } from "./fixtures/database";
import { unlockGate } from "./fixtures/helpers";

test.describe.configure({ timeout: 900_000 });

const WDBC = path.resolve("..", "shared", "datasets", "wdbc.csv");
const DATA = /\/api\/requests\/([0-9a-f-]{36})\/data$/;

async function uploadSixty(browser: import("@playwright/test").Browser, tag: string) {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["hospital", "researcher"]);
  const { a: staff, page } = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Gov");
  const file = test.info().outputPath("wdbc-60.csv");
  writeFileSync(file, readFileSync(WDBC, "utf8").split("\n").slice(0, 61).join("\n") + "\n");
  const label = `WDBC ${tag} ${code}`;
  await page.goto("/hospital/upload");
  await unlockGate(page, staff.passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(file);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(label);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("30 numeric fields were encrypted for clustering (CKKS) and stored.")).toBeVisible({ timeout: 180_000 });
  const { a: res, page: rp } = await approvedPerson(browser, admin, "Institute researcher", [`${code}.researcher`], "GovRes");
  await rp.getByRole("button", { name: "Create transform key" }).click();
  await expect(rp.getByTestId("tk-status")).toContainText("Stored with the authority");
  return { admin, code, staff, page, label, res, rp };
}

/** Issue #15: outcomes reach /admin/requests and /hospital; the owner withdraws a grant; the CSP refuses withdrawn and expired grants. */
test("outcomes at /admin/requests and /hospital; the owner withdraws a grant; withdrawn and expired grants are refused by the CSP", async ({ browser }) => {
  const { admin, page, label, res: resA, rp } = await uploadSixty(browser, "grants");
  const res = resA;
  await rp.goto("/research");
  await rp.getByRole("checkbox", { name: `Choose ${label}` }).check();
  await rp.getByLabel("Purpose of use").fill("Grant study A, to be withdrawn");
  await rp.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
  await rp.getByLabel("Access period (days)").fill("14");
  const answered = rp.waitForResponse((r) => DATA.test(new URL(r.url()).pathname) && r.request().method() === "GET");
  await rp.getByRole("button", { name: "Request, sign and decrypt" }).click();
  await unlockGate(rp, res.passphrase);
  const response = await answered;
  const firstId = DATA.exec(new URL(response.url()).pathname)![1];
  const firstToken = response.request().headers()["x-request-token"];
  await expect(rp.getByText(`${label}: 60 records decrypted in your browser`)).toBeVisible({ timeout: 120_000 });
  const [grant] = await e2eSql<{ days: number; left: number }>(
    `SELECT period_days AS days, extract(epoch FROM expires_at - decided_at)::int AS left FROM csp.access_requests WHERE id = $1`,
    [firstId],
  );
  expect(grant).toEqual({ days: 14, left: 14 * 86_400 });

  // A dishonest cloud: one byte of the partial decryption altered. The browser refuses, shows nothing, reports.
  await rp.route("**/api/requests/*/data*", async (route) => {
    const fetched = await route.fetch();
    const json = await fetched.json();
    const pd = Buffer.from(json.uploads[0].partialDecryption, "base64");
    pd[pd.length - 40] ^= 0x01;
    json.uploads[0].partialDecryption = pd.toString("base64");
    await route.fulfill({ response: fetched, json });
  });
  await rp.goto("/research");
  await rp.getByRole("checkbox", { name: `Choose ${label}` }).check();
  await rp.getByLabel("Purpose of use").fill("Grant study B, tampered answer");
  await rp.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
  const tampered = rp.waitForResponse((r) => DATA.test(new URL(r.url()).pathname));
  await rp.getByRole("button", { name: "Request, sign and decrypt" }).click();
  await unlockGate(rp, res.passphrase);
  const secondResponse = await tampered;
  const secondId = DATA.exec(new URL(secondResponse.url()).pathname)![1];
  const secondToken = secondResponse.request().headers()["x-request-token"];
  await expect(rp.getByText(`Security alert: ${label} failed verification`)).toBeVisible({ timeout: 120_000 });
  await expect(rp.getByTestId("records-table")).toHaveCount(0);
  await rp.unroute("**/api/requests/*/data*");
  // 3. /admin/requests: "decrypted" and "refused", each with a completion time.
  await admin.goto("/admin/requests");
  const first = admin.getByTestId("requests").getByRole("row").filter({ hasText: "Grant study A, to be withdrawn" });
  await expect(first.getByTestId("request-outcome")).toContainText("decrypted");
  await expect(first.getByTestId("request-completed")).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  await expect(first.getByTestId("request-expiry")).toContainText("(14 days)");
  const second = admin.getByTestId("requests").getByRole("row").filter({ hasText: "Grant study B, tampered answer" });
  await expect(second.getByTestId("request-outcome")).toContainText("refused");
  await expect(second.getByTestId("request-completed")).toHaveText(/^\d{4}-\d\d-\d\d/);

  // 4. The owner sees both requests at /hospital and withdraws the first at once (confirmed, with a reason).
  await page.goto("/hospital");
  const mine = page.getByTestId(`hospital-request-${firstId}`);
  await expect(mine).toContainText(res.name);
  await expect(mine.getByTestId("hospital-request-outcome")).toContainText("decrypted");
  await expect(mine).toContainText(`${label}: all records`);
  await expect(page.getByTestId(`hospital-request-${secondId}`).getByTestId("hospital-request-outcome")).toContainText("refused");
  await mine.getByRole("button", { name: `Withdraw access of ${res.name}` }).click();
  const dialog = mine.getByRole("dialog", { name: "Withdraw this grant now?" });
  await dialog.getByLabel("Reason").fill("Patient consent withdrawn");
  await dialog.getByRole("button", { name: "Withdraw access" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Access withdrawn" })).toBeVisible();
  await expect(mine.getByTestId("hospital-request-access")).toContainText("withdrawn", { timeout: 15_000 });
  await expect(mine.getByTestId("hospital-request-access")).toContainText("Patient consent withdrawn");

  // the CSP refuses the withdrawn grant with the researcher's own token, and audits the refusal
  const refused = await rp.request.get(`/api/requests/${firstId}/data`, { headers: { "x-request-token": firstToken } });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.message).toMatch(/withdrew this grant/);
  const withdrawn = await e2eSql<{ action: string }>(
    `SELECT action FROM csp_ledger.audit_entries WHERE subject_id = $1 AND action IN ('GRANT_WITHDRAWN', 'GRANT_REFUSED') ORDER BY seq`,
    [firstId],
  );
  expect(withdrawn.map((w) => w.action)).toEqual(["GRANT_WITHDRAWN", "GRANT_REFUSED"]);

  // 5. An expired grant: the CSP checks the expiry it stores, whatever the portal says.
  const before = await rp.request.get(`/api/requests/${secondId}/data`, { headers: { "x-request-token": secondToken } });
  expect(before.status()).toBe(200);
  await e2eSql(`UPDATE csp.access_requests SET expires_at = now() - interval '1 minute' WHERE id = $1`, [secondId]);
  const expired = await rp.request.get(`/api/requests/${secondId}/data`, { headers: { "x-request-token": secondToken } });
  expect(expired.status()).toBe(403);
  expect((await expired.json()).error.message).toMatch(/expired/);
  expect(
    await e2eSql(`SELECT 1 FROM csp_ledger.audit_entries WHERE subject_id = $1 AND action = 'GRANT_REFUSED' AND data->>'reason' = 'expired'`, [secondId]),
  ).toHaveLength(1);
  // the expiry is in the CSP's log too, once, before the refusal it caused
  const ended = await e2eSql<{ action: string }>(
    `SELECT action FROM csp_ledger.audit_entries WHERE subject_id = $1 AND action IN ('GRANT_EXPIRED', 'GRANT_REFUSED') ORDER BY seq`,
    [secondId],
  );
  expect(ended.map((e) => e.action)).toEqual(["GRANT_EXPIRED", "GRANT_REFUSED"]);

  // the researcher sees both ends and asks for a renewal of the expired one; the owner sees the ask
  await rp.goto("/research");
  const grants = rp.getByTestId("my-requests");
  await expect(grants.getByRole("listitem").filter({ hasText: "Grant study A" })).toContainText("withdrawn by the hospital");
  const expiredItem = grants.getByRole("listitem").filter({ hasText: "Grant study B, tampered answer" });
  await expect(expiredItem).toContainText("expired");
  await expiredItem.getByRole("button", { name: "Ask for a renewal" }).click();
  await expect(rp.getByRole("status").filter({ hasText: "Renewal asked" })).toBeVisible();
  await page.reload();
  await expect(page.getByTestId(`hospital-request-${secondId}`)).toContainText("The researcher asks for a renewal");
});
