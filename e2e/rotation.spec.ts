import { expect, test } from "./fixtures/test";
import type { Page } from "@playwright/test";
import { writeFileSync } from "node:fs";
import { adminPage, approvedPerson, createCatalogue, personRow } from "./fixtures/admin";
import { e2eSql } from "./fixtures/database";
import { unlockGate, unlockKeyStore } from "./fixtures/helpers";

test.describe.configure({ timeout: 420_000 });

async function upload(page: Page, passphrase: string, file: string, policy: string, label: string) {
  await page.goto("/hospital/upload");
  await unlockGate(page, passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(file);
  await page.getByLabel("Policy", { exact: true }).fill(policy);
  await page.getByLabel("Label").fill(label);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("Upload stored")).toBeVisible({ timeout: 120_000 });
}

/** The "For you" cell of a dataset's row on /research. */
const forYou = (page: Page, label: string) => page.getByTestId("datasets").getByRole("row").filter({ hasText: label }).getByTestId("for-you");

/**
 * Issue #15, "Rotation must not lock out holders": two holders of an attribute; it is revoked
 * from one (a new key version); the other reads the uploads of both versions, the revoked one is
 * refused, and /research's "For you" says so beforehand for each.
 */
test("after a rotation the other holder reads old- and new-version uploads; the revoked holder is refused; 'For you' agrees", async ({ browser }, info) => {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["hospital", "researcher", "cardiology"]);
  const policy = `${code}.researcher AND ${code}.cardiology`;
  const staff = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`]);
  const holders = [];
  for (const prefix of ["RotOne", "RotTwo"]) {
    const h = await approvedPerson(browser, admin, "Institute researcher", [`${code}.researcher`, `${code}.cardiology`], prefix);
    await h.page.getByRole("button", { name: "Create transform key" }).click();
    await expect(h.page.getByTestId("tk-status")).toContainText(`Stored with the authority, covering ${code}.cardiology, ${code}.researcher`);
    holders.push(h);
  }
  const [one, two] = holders;

  const before = `Before ${code}`,
    after = `After ${code}`;
  const fileA = info.outputPath("before.csv"),
    fileB = info.outputPath("after.csv");
  writeFileSync(fileA, "troponin,ef\n0.041,55\n0.093,41\n0.120,38\n");
  writeFileSync(fileB, "troponin,ef\n0.210,30\n0.015,62\n");
  await upload(staff.page, staff.a.passphrase, fileA, policy, before);

  // the admin takes cardiology from holder one: a new key version (v2) of the attribute
  const row = await personRow(admin, one.a.email);
  await row.getByRole("button", { name: `Revoke ${code}.cardiology from ${one.a.name}` }).click();
  const dialog = admin.getByRole("dialog", { name: `Revoke ${code}.cardiology from ${one.a.name}?` });
  await dialog.getByLabel("Reason").fill("Left the cardiology study");
  await dialog.getByRole("button", { name: "Revoke attribute" }).click();
  await expect(admin.getByTestId("notice").filter({ hasText: `Revoked ${code}.cardiology from ${one.a.name}` })).toBeVisible();

  await upload(staff.page, staff.a.passphrase, fileB, policy, after);
  const versions = await e2eSql<{ label: string; v: string }>(`SELECT label, key_versions->>$1 AS v FROM csp.uploads WHERE label IN ($2, $3)`, [
    `${code}.cardiology`,
    before,
    after,
  ]);
  expect(Object.fromEntries(versions.map((r) => [r.label, r.v]))).toEqual({ [before]: "1", [after]: "2" });

  // Holder two, before unlocking: both open for them; the new one once the browser adds v2 to the transform key.
  const p2 = two.page;
  await p2.goto("/research");
  await expect(forYou(p2, before)).toHaveText("your attributes satisfy it");
  await expect(forYou(p2, after)).toContainText(`your attributes satisfy it; your transform key gains ${code}.cardiology v2 when you unlock your keys`);
  await expect(forYou(p2, after).getByRole("link", { name: "Refresh your keys at /keys" })).toHaveAttribute("href", "/keys");

  // One request for both: unlocking takes in v2 and extends the transform key (same z); both decrypt.
  await p2.getByRole("checkbox", { name: `Choose ${before}` }).check();
  await p2.getByRole("checkbox", { name: `Choose ${after}` }).check();
  await p2.getByLabel("Purpose of use").fill("Troponin before and after the rotation");
  await p2.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
  await p2.getByRole("button", { name: "Request, sign and decrypt" }).click();
  await unlockGate(p2, two.a.passphrase);
  await expect(p2.getByText(`${before}: 3 records decrypted in your browser`)).toBeVisible({ timeout: 120_000 });
  await expect(p2.getByText(`${after}: 2 records decrypted in your browser`)).toBeVisible();
  const [stored] = await e2eSql<{ covers: string[] }>(
    `SELECT e.data->'covers' AS covers FROM ledger.audit_entries e JOIN portal.users u ON u.id::text = e.subject_id WHERE u.email = $1 AND e.action = 'TRANSFORM_KEY_STORED' ORDER BY e.seq DESC LIMIT 1`,
    [two.a.email],
  );
  expect(stored.covers).toEqual([`${code}.cardiology@1`, `${code}.cardiology@2`, `${code}.researcher@1`]);
  await p2.goto("/research");
  await expect(forYou(p2, after)).toHaveText("your attributes satisfy it");
  await p2.goto("/keys");
  await unlockKeyStore(p2, two.a.passphrase);
  await expect(p2.getByTestId("tk-status")).toContainText(`covering ${code}.cardiology (v1, v2), ${code}.researcher`);

  // Holder one: told beforehand they lack the attribute for both, and refused when they try.
  const p1 = one.page;
  await p1.goto("/research");
  await expect(forYou(p1, before)).toHaveText(`you lack ${code}.cardiology`);
  await expect(forYou(p1, after)).toHaveText(`you lack ${code}.cardiology`);
  await p1.getByRole("checkbox", { name: `Choose ${after}` }).check();
  await p1.getByLabel("Purpose of use").fill("Trying after my revocation");
  await p1.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
  await p1.getByRole("button", { name: "Request, sign and decrypt" }).click();
  await unlockGate(p1, one.a.passphrase);
  await expect(p1.getByText("No records were decrypted")).toBeVisible({ timeout: 60_000 });
  await expect(p1.getByText(`you lack ${code}.cardiology`).last()).toBeVisible();
  await expect(p1.getByTestId("records-table")).toHaveCount(0);
});
