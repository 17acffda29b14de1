import { expect, test } from "./fixtures/test";
import path from "node:path";
import { scanDatabase } from "@/tests/helpers/scan";
import { readFileSync, writeFileSync } from "node:fs";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { e2eDatabaseUrl, e2eSql } from "./fixtures/database";
import { unlockGate } from "./fixtures/helpers";

test.describe.configure({ timeout: 900_000 });

const WDBC = path.resolve("..", "shared", "datasets", "wdbc.csv");

test("features encrypted in the browser are clustered at the cloud as a background job", async ({ browser }) => {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["hospital", "researcher"]);
  const { a: staff, page } = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Clu");

  await page.goto("/hospital/upload");
  await unlockGate(page, staff.passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(WDBC);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(`WDBC clustering ${code}`);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("30 numeric fields were encrypted for clustering (CKKS) and stored.")).toBeVisible({ timeout: 180_000 });

  await admin.goto("/admin/clustering");
  for (const box of await admin.getByRole("checkbox").all()) await box.uncheck();
  await admin.getByRole("checkbox", { name: new RegExp(`WDBC clustering ${code}`) }).check();
  await admin.getByLabel("Number of clusters (k)").fill("2");
  await admin.getByRole("button", { name: "Start clustering run" }).click();
  await expect(admin).toHaveURL(/\/admin\/clustering\/[0-9a-f-]{36}$/);
  await expect(admin.getByTestId("run-status")).toContainText("succeeded", { timeout: 420_000 });
  for (const id of ["chart-cluster-sizes", "chart-convergence", "chart-typicality", "chart-centers"])
    await expect(admin.getByTestId(id).locator("svg.recharts-surface").first()).toBeVisible();
  await admin.screenshot({ path: test.info().outputPath("clustering.png"), fullPage: true });
  const runId = admin.url().split("/").pop()!;

  // Months later the hospital uploads new records: they are added to the finished run
  // incrementally (only the new upload is read; clusters keep their numbers).
  const followUp = test.info().outputPath("wdbc-follow-up.csv");
  writeFileSync(followUp, readFileSync(WDBC, "utf8").split("\n").slice(0, 61).join("\n") + "\n");
  await page.goto("/hospital/upload");
  await unlockGate(page, staff.passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(followUp);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(`WDBC follow-up ${code}`);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("30 numeric fields were encrypted for clustering (CKKS) and stored.")).toBeVisible({ timeout: 180_000 });

  await admin.getByRole("link", { name: "Add new uploads to this run" }).click();
  await expect(admin).toHaveURL(new RegExp(`/admin/clustering\\?extend=${runId}`));
  const start = admin.getByRole("form", { name: "Start a clustering run" });
  // The page asks the CSP for its runs and uploads, behind the other journey's CSP work on two
  // cores: in one CI run (2026-12-04) the form was not there within the 30 s default. The cause
  // was not seen; a failed journey now prints what its pages showed (fixtures/test.ts).
  await expect(start.getByRole("radio", { name: "Add new uploads to a finished run" })).toBeChecked({ timeout: 120_000 });
  await expect(start.getByLabel("Number of clusters (k)")).toBeDisabled();
  // the run's own upload is not offered again
  await expect(start.getByRole("checkbox", { name: new RegExp(`WDBC clustering ${code}`) })).toHaveCount(0);
  await start.getByRole("checkbox", { name: new RegExp(`WDBC follow-up ${code}`) }).check();
  await start.getByRole("button", { name: "Add to run" }).click();
  await expect(admin).toHaveURL(/\/admin\/clustering\/[0-9a-f-]{36}$/);
  expect(admin.url()).not.toContain(runId);
  await expect(admin.getByTestId("run-status")).toContainText("succeeded", { timeout: 300_000 });
  await expect(admin.getByTestId("run-base")).toContainText("569 records, whose labels it keeps");
  await expect(admin.getByTestId("run-base")).toContainText("clustered the 60 records of the added upload");
  await expect(
    admin
      .getByTestId("run-uploads")
      .getByRole("row")
      .filter({ hasText: `WDBC follow-up ${code}` }),
  ).toContainText("in this run");
  // the follow-up was z-scored in its own browser; the key holder mapped it to the run's units
  await expect(admin.getByTestId("run-units")).toContainText("mapped to the run's normalisation");
  await expect(
    admin
      .getByTestId("run-uploads")
      .getByRole("row")
      .filter({ hasText: `WDBC clustering ${code}` }),
  ).toContainText("earlier run (labels kept)");
  const sizes = await admin.getByTestId("run-clusters").getByRole("row").allInnerTexts();
  expect(
    sizes
      .slice(1)
      .map((r) => Number(r.split(/\s+/)[1].replace(/\D/g, "")))
      .reduce((a, b) => a + b, 0),
  ).toBe(629);
  await admin.screenshot({ path: test.info().outputPath("clustering-extension.png"), fullPage: true });

  // a researcher requests one cluster and decrypts exactly its records
  const { a: res, page: rp } = await approvedPerson(browser, admin, "Institute researcher", [`${code}.researcher`], "CluRes");
  await rp.getByRole("button", { name: "Create transform key" }).click();
  await expect(rp.getByTestId("tk-status")).toContainText("Stored with the authority");
  await rp.goto("/research");
  // clusters are listed by run (here unnamed: by its date), each cluster a row with its radio
  const row = rp
    .getByTestId(`run-${runId}`)
    .getByRole("row")
    .filter({ has: rp.getByRole("radio") })
    .first();
  await expect(row).toBeVisible({ timeout: 30_000 });
  const size = Number((await row.getByRole("cell").nth(2).innerText({ timeout: 30_000 })).replace(/\D/g, ""));
  expect(size).toBeGreaterThan(0);
  await row.getByRole("radio").check();
  await rp.getByLabel("Purpose of use").fill("Characterise one cluster of aspirates");
  await rp.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
  await rp.getByRole("button", { name: "Request, sign and decrypt" }).click();
  await unlockGate(rp, res.passphrase);
  await expect(rp.getByText(`WDBC clustering ${code}: ${size} records decrypted in your browser`)).toBeVisible({ timeout: 120_000 });
  await expect(rp.getByTestId("chart-typicality").locator("svg.recharts-surface").first()).toBeVisible();
  await expect(rp.getByTestId("chart-projection").locator("svg.recharts-surface").first()).toBeVisible();

  // the cloud's tables hold no plaintext feature value after the encrypted run
  // (five or more decimals: a value with four could be a typicality sum, which the CSP keeps per cluster)
  const values = [
    ...new Set(
      readFileSync(WDBC, "utf8")
        .split(/[\n,]/)
        .filter((v) => /^\d+\.\d{5,}$/.test(v)),
    ),
  ].slice(0, 80);
  expect(values.length).toBe(80);
  const hits = await scanDatabase(
    e2eDatabaseUrl(),
    values.map((v) => ({ name: v, text: v })),
  );
  expect(hits, JSON.stringify(hits.slice(0, 3))).toEqual([]);
  // issue #14: the CSP keeps each record's label and per-cluster aggregates; the objective trace is the key holder's
  const [stored] = await e2eSql<{ typicality: { bins: number[][] }; n: number }>(`SELECT typicality, n FROM csp.clustering_runs WHERE id = $1`, [runId]);
  expect(stored.typicality.bins.flat().reduce((a, b) => a + b, 0)).toBe(stored.n);
  expect(
    await e2eSql(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = 'csp' AND column_name IN ('objective', 'typicality') AND table_name = 'run_labels'`,
    ),
  ).toEqual([]);
  const [trace] = await e2eSql<{ objective: number[] }>(`SELECT objective FROM authority.run_traces WHERE run_id = $1`, [runId]);
  expect(trace.objective.length).toBeGreaterThan(0);
});
