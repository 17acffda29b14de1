import { expect, test } from "./fixtures/test";
import { readFileSync, writeFileSync } from "node:fs";
import { decodeTransformSecret, decodeUserKeys } from "@/lib/abe";
import { encodeFr, encodeG2 } from "@/lib/abe/group";
import { b64, openKeystore } from "@/lib/keystore/sealed";
import { scanDatabase } from "@/tests/helpers/scan";
import { adminPage, approveWith, createCatalogue, personRow } from "./fixtures/admin";
import { e2eDatabaseUrl } from "./fixtures/database";
import { newApplicant, register, signIn, unlockKeyStore, sealedInBrowser } from "./fixtures/helpers";

test.describe.configure({ timeout: 360_000 }); // three browsers and two registrations on a shared, loaded machine

test("keys reach the researcher's browser, a transform key is stored, a backup moves them to another browser", async ({ page, browser }, info) => {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["researcher", "cardiology"]);
  const r = newApplicant("Keys");
  await register(page, r, "Institute researcher");
  await approveWith(admin, r.email, r.name, [`${code}.researcher`, `${code}.cardiology`]);

  // first browser: unlock, receive and check the keys, store a transform key, export a backup
  await signIn(page, r.email, r.password);
  await page.goto("/keys");
  await unlockKeyStore(page, "not the passphrase");
  await expect(page.getByRole("alert").filter({ hasText: "Wrong key passphrase" })).toBeVisible();
  await unlockKeyStore(page, r.passphrase);
  await expect(page.getByText(/New keys received and checked/)).toBeVisible();
  await expect(page.getByTestId(`key-${code}.researcher`)).toContainText("v1");
  await expect(page.getByTestId(`key-${code}.cardiology`)).toContainText("current");
  await expect(page.getByTestId(`key-${code}.cardiology`)).toContainText(`${code} · Authority ${code}`); // which attribute authority issued it
  await page.getByRole("button", { name: "Create transform key" }).click();
  await expect(page.getByTestId("tk-status")).toContainText(`Stored with the authority, covering ${code}.cardiology, ${code}.researcher`);
  await page.getByLabel("Does a policy let me in?").fill(`${code}.researcher AND ${code}.oncology`);
  await expect(page.getByTestId("policy-verdict")).toContainText(`You lack ${code}.oncology`);

  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export key backup" }).click();
  const backupPath = info.outputPath("backup.json");
  await (await download).saveAs(backupPath);

  // the server holds no unwrapped key and no z: scan every table for the bytes this browser keeps
  const contents = await openKeystore(await sealedInBrowser(page, r.gid), r.passphrase, r.gid);
  const needles = Object.entries(contents.keys).map(([id, enc]) => {
    const attribute = id.slice(0, id.lastIndexOf("@"));
    return { name: `SIK ${id}`, bytes: encodeG2(decodeUserKeys(b64.decode(enc)).keys.get(attribute)!) };
  });
  needles.push({ name: "z", bytes: encodeFr(decodeTransformSecret(b64.decode(contents.transform!.secret)).z) });
  needles.push({ name: "wrap secret key", bytes: b64.decode(contents.wrapSecretKey) });
  expect(needles).toHaveLength(4);
  expect(await scanDatabase(e2eDatabaseUrl(), needles)).toEqual([]);

  // a fresh browser: no key store until the backup is imported
  const fresh = await (await browser.newContext()).newPage();
  await signIn(fresh, r.email, r.password);
  await fresh.goto("/keys");
  await expect(fresh.getByRole("heading", { name: "This browser has no key store for you" })).toBeVisible();

  const corrupted = info.outputPath("corrupted.json");
  const sealed = JSON.parse(readFileSync(backupPath, "utf8"));
  writeFileSync(corrupted, JSON.stringify({ ...sealed, ct: sealed.ct.slice(0, -8) + "AAAAAAA=" }));
  await fresh.getByLabel("Key backup file").setInputFiles(corrupted);
  await fresh.getByLabel("Passphrase of the backup").fill(r.passphrase);
  await fresh.getByRole("button", { name: "Import backup" }).click();
  await expect(fresh.getByRole("alert").filter({ hasText: "damaged" })).toBeVisible();

  await fresh.getByLabel("Key backup file").setInputFiles(backupPath);
  await fresh.getByLabel("Passphrase of the backup").fill("wrong passphrase!!");
  await fresh.getByRole("button", { name: "Import backup" }).click();
  await expect(fresh.getByRole("alert").filter({ hasText: "Wrong key passphrase" })).toBeVisible();

  await fresh.getByLabel("Passphrase of the backup").fill(r.passphrase);
  await fresh.getByRole("button", { name: "Import backup" }).click();
  await expect(fresh.getByText("Backup imported into this browser.")).toBeVisible();
  await expect(fresh.getByTestId(`key-${code}.researcher`)).toContainText("v1");
  await expect(fresh.getByTestId(`key-${code}.cardiology`)).toContainText("v1");
  await expect(fresh.getByTestId("tk-status")).toContainText("Stored with the authority");

  // somebody else's backup is refused and changes nothing
  const other = newApplicant("Other");
  const otherPage = await (await browser.newContext()).newPage();
  await register(otherPage, other, "Institute researcher");
  await approveWith(admin, other.email, other.name, []);
  await signIn(otherPage, other.email, other.password);
  await otherPage.goto("/keys");
  await unlockKeyStore(otherPage, other.passphrase);
  await otherPage.getByText("Import a backup instead").click();
  await otherPage.getByLabel("Key backup file").setInputFiles(backupPath);
  await otherPage.getByLabel("Passphrase of the backup").fill(r.passphrase);
  await otherPage.getByRole("button", { name: "Import backup" }).click();
  await expect(otherPage.getByRole("alert").filter({ hasText: `This backup belongs to ${r.gid}` })).toBeVisible();
});

test("revoking a researcher's attribute destroys their transform key and shows the new version", async ({ page, browser }) => {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["researcher", "oncology"]);
  const r = newApplicant("Revoked");
  await register(page, r, "Institute researcher");
  await approveWith(admin, r.email, r.name, [`${code}.researcher`, `${code}.oncology`]);
  await signIn(page, r.email, r.password);
  await page.goto("/keys");
  await unlockKeyStore(page, r.passphrase);
  await page.getByRole("button", { name: "Create transform key" }).click();
  await expect(page.getByTestId("tk-status")).toContainText("Stored with the authority");

  const row = await personRow(admin, r.email);
  await expect(row).toContainText("transform key stored");
  await row.getByRole("button", { name: `Revoke ${code}.oncology from ${r.name}` }).click();
  const dialog = admin.getByRole("dialog", { name: `Revoke ${code}.oncology from ${r.name}?` });
  await dialog.getByLabel("Reason").fill("Study ended");
  await dialog.getByRole("button", { name: "Revoke attribute" }).click();
  await expect(admin.getByTestId("notice").filter({ hasText: `Revoked ${code}.oncology from ${r.name}` })).toBeVisible();
  await expect(row).toContainText("no transform key");
  await admin.goto("/admin/attributes");
  await expect(admin.getByTestId(`attribute-${code}.oncology`)).toContainText("v2");

  await page.reload();
  await unlockKeyStore(page, r.passphrase);
  await expect(page.getByText(`Keys withdrawn by the authority: ${code}.oncology@1`)).toBeVisible();
  await expect(page.getByTestId("tk-status")).toContainText("No transform key stored.");

  // revoking the person signs them out at once
  await (await personRow(admin, r.email)).getByRole("button", { name: `Revoke person: ${r.name}` }).click();
  const confirm = admin.getByRole("dialog", { name: `Revoke ${r.name}'s access?` });
  await confirm.getByLabel("Reason").fill("Left the institute");
  await confirm.getByRole("button", { name: "Revoke access" }).click();
  await expect(admin.getByTestId("notice").filter({ hasText: `Revoked ${r.name}'s access` })).toBeVisible();
  await expect(admin.getByTestId(`person-${r.email}`)).toHaveCount(0);
  await page.goto("/keys");
  await expect(page).toHaveURL(/\/login/);
  // signing in again, they are told they were revoked, and why
  await signIn(page, r.email, r.password);
  await expect(page).toHaveURL(/\/pending$/);
  await expect(page.getByRole("heading", { level: 1, name: "Access revoked" })).toBeVisible();
  await expect(page).toHaveTitle("Access revoked · MedShare");
  await expect(page.getByText("Reason given: Left the institute")).toBeVisible();
});
