import { expect, test } from "./fixtures/test";
import path from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { decodeEnvelope, verifyRecord } from "@/lib/abe";
import { requestDataSchema } from "@/lib/validation/request";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { e2eSql } from "./fixtures/database";
import { unlockGate } from "./fixtures/helpers";

test.describe.configure({ timeout: 1_500_000 });

const WDBC = path.resolve("..", "shared", "datasets", "wdbc.csv");
const DATA = /\/api\/requests\/([0-9a-f-]{36})\/data$/;

/** Issue #15: a cluster request releases only the cluster's records, each with a Merkle proof the browser checks. */
test("a cluster request downloads exactly the cluster's records, each proof verifies, and a tampered proof is refused", async ({ browser }) => {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["hospital", "researcher"]);
  const { a: staff, page } = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Gov");
  const file = test.info().outputPath("wdbc-30.csv");
  writeFileSync(file, readFileSync(WDBC, "utf8").split("\n").slice(0, 31).join("\n") + "\n");
  const label = `WDBC governance ${code}`;
  await page.goto("/hospital/upload");
  await unlockGate(page, staff.passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(file);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(label);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("30 numeric fields were encrypted for clustering (CKKS) and stored.")).toBeVisible({ timeout: 180_000 });

  await admin.goto("/admin/clustering");
  for (const box of await admin.getByRole("checkbox").all()) await box.uncheck();
  await admin.getByRole("checkbox", { name: new RegExp(label) }).check();
  await admin.getByLabel("Number of clusters (k)").fill("2");
  await admin.getByRole("button", { name: "Start clustering run" }).click();
  await expect(admin).toHaveURL(/\/admin\/clustering\/[0-9a-f-]{36}$/);
  await expect(admin.getByTestId("run-status")).toContainText("succeeded", { timeout: 600_000 });
  const runId = admin.url().split("/").pop()!;

  const { a: res, page: rp } = await approvedPerson(browser, admin, "Institute researcher", [`${code}.researcher`], "GovRes");
  await rp.getByRole("button", { name: "Create transform key" }).click();
  await expect(rp.getByTestId("tk-status")).toContainText("Stored with the authority");
  await rp.goto("/research");
  const row = rp
    .getByTestId(`run-${runId}`)
    .getByRole("row")
    .filter({ has: rp.getByRole("radio") })
    .first();
  await expect(row).toBeVisible({ timeout: 30_000 });
  const size = Number((await row.getByRole("cell").nth(2).innerText()).replace(/\D/g, ""));
  expect(size).toBeGreaterThan(0);
  expect(size).toBeLessThan(30);

  // 1. The cluster's records only, counted on the network; every proof verifies against the envelope's root.
  await row.getByRole("radio").check();
  await rp.getByLabel("Purpose of use").fill("Characterise one cluster, minimal release");
  await rp.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
  await rp.getByLabel("Access period (days)").fill("14");
  const answered = rp.waitForResponse((r) => DATA.test(new URL(r.url()).pathname) && r.request().method() === "GET");
  await rp.getByRole("button", { name: "Request, sign and decrypt" }).click();
  await unlockGate(rp, res.passphrase);
  const response = await answered;
  const firstId = DATA.exec(new URL(response.url()).pathname)![1];
  const body = requestDataSchema.parse(await response.json());
  expect(body.uploads).toHaveLength(1);
  const [u] = body.uploads;
  expect(u.records).toHaveLength(size);
  expect(u.records.map((r) => r.index)).toEqual([...(u.recordIndices ?? [])].sort((a, b) => a - b));
  const env = decodeEnvelope(Buffer.from(u.envelope, "base64"));
  expect(env.recordCount).toBe(30);
  for (const r of u.records) {
    expect(r.proof).not.toBeNull();
    const rec = { index: r.index, id: r.id, ct: Buffer.from(r.ct, "base64") };
    expect(verifyRecord(env, rec, { ...r.proof!, path: r.proof!.path.map((p) => Buffer.from(p, "base64")) })).toBe(true);
    // and a proof with one flipped bit does not
    const bad = r.proof!.path.map((p) => Buffer.from(p, "base64"));
    if (bad.length) {
      bad[0][0] ^= 1;
      expect(verifyRecord(env, rec, { ...r.proof!, path: bad })).toBe(false);
    }
  }
  await expect(rp.getByText(`${label}: ${size} records decrypted in your browser`)).toBeVisible({ timeout: 120_000 });
  // the CSP's release entry names exactly that many records; the grant lasts the 14 days asked for
  await expect
    .poll(
      async () =>
        (
          await e2eSql<{ n: string }>(`SELECT data->>'records' AS n FROM csp_ledger.audit_entries WHERE action = 'CIPHERTEXTS_RELEASED' AND subject_id = $1`, [
            firstId,
          ])
        )[0]?.n,
    )
    .toBe(String(size));
  const [grant] = await e2eSql<{ days: number; left: number }>(
    `SELECT period_days AS days, extract(epoch FROM expires_at - decided_at)::int AS left FROM csp.access_requests WHERE id = $1`,
    [firstId],
  );
  expect(grant).toEqual({ days: 14, left: 14 * 86_400 });

  // 2. A dishonest cloud: one record's proof altered on its way. The browser refuses, shows nothing, reports.
  await rp.route("**/api/requests/*/data*", async (route) => {
    const fetched = await route.fetch();
    const json = await fetched.json();
    const p = Buffer.from(json.uploads[0].records[0].proof.path[0], "base64");
    p[5] ^= 0x01;
    json.uploads[0].records[0].proof.path[0] = p.toString("base64");
    await route.fulfill({ response: fetched, json });
  });
  await rp.goto("/research");
  await rp
    .getByTestId(`run-${runId}`)
    .getByRole("row")
    .filter({ has: rp.getByRole("radio") })
    .first()
    .getByRole("radio")
    .check();
  await rp.getByLabel("Purpose of use").fill("Checking the proofs of a cluster");
  await rp.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
  const tampered = rp.waitForResponse((r) => DATA.test(new URL(r.url()).pathname));
  await rp.getByRole("button", { name: "Request, sign and decrypt" }).click();
  await unlockGate(rp, res.passphrase);
  await tampered;
  await expect(rp.getByText(`Security alert: ${label} failed verification`)).toBeVisible({ timeout: 120_000 });
  await expect(rp.getByText(/Merkle inclusion proof does not verify/)).toBeVisible();
  await expect(rp.getByTestId("records-table")).toHaveCount(0);
  await rp.unroute("**/api/requests/*/data*");

  await admin.goto("/admin/requests");
  await expect(
    admin.getByTestId("requests").getByRole("row").filter({ hasText: "Characterise one cluster, minimal release" }).getByTestId("request-outcome"),
  ).toContainText("decrypted");
  await expect(
    admin.getByTestId("requests").getByRole("row").filter({ hasText: "Checking the proofs of a cluster" }).getByTestId("request-outcome"),
  ).toContainText("refused");
});
