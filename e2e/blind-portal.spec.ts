import { expect, test } from "./fixtures/test";
import type { Page } from "@playwright/test";
import { writeFileSync } from "node:fs";
import { adjustedRandIndex } from "@/lib/hopcm";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { e2eSql } from "./fixtures/database";
import { shootWidths, unlockGate } from "./fixtures/helpers";

// Issue #14 wired into the portal: uploads prepared for the blind protocol in the hospital's
// browser, clustered together by the CSP's worker with the key holder's session at the authority.
test.describe.configure({ timeout: 900_000 });

const shoot = (page: Page, name: string) => shootWidths(page, "blind-portal", name);

/** Two groups of records, well apart in four numeric columns (a text column says which); `offset` varies the jitter between files. */
function cohort(file: string, n: number, offset = 0): string[] {
  const lines = ["marker_a,marker_b,marker_c,marker_d,group"];
  const groups: string[] = [];
  for (let i = 0; i < n; i++) {
    const g = i % 2;
    const jitter = (c: number) => ((((i + offset) * 37 + c * 11) % 17) - 8) / 4;
    const values = [0, 1, 2, 3].map((c) => (50 + (g === 0 ? 25 : -25) * (c % 2 === 0 ? 1 : -1) + jitter(c)).toFixed(1));
    groups.push(["north", "south"][g]);
    lines.push([...values, groups[i]].join(","));
  }
  writeFileSync(file, lines.join("\n") + "\n");
  return groups;
}

async function uploadBlind(page: Page, passphrase: string, file: string, policy: string, label: string, shot?: string) {
  await page.goto("/hospital/upload");
  await unlockGate(page, passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(file);
  await page.getByLabel("Policy", { exact: true }).fill(policy);
  await page.getByLabel("Label").fill(label);
  await page.getByRole("checkbox", { name: /Prepare for blind clustering/ }).check();
  if (shot) await shoot(page, shot);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("4 numeric fields were encrypted for blind clustering (CKKS) and stored.")).toBeVisible({ timeout: 180_000 });
}

test("uploads prepared for blind clustering are clustered together without the key holder or the CSP seeing a record's value", async ({ browser }) => {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["hospital", "researcher"]);
  const { a: staff, page } = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Blind");
  // two uploads, each z-scored and encrypted in its own browser session: 150 and 90 records, one block each
  const files = [test.info().outputPath("blind-cohort-1.csv"), test.info().outputPath("blind-cohort-2.csv")];
  const groups = [...cohort(files[0], 150), ...cohort(files[1], 90, 5)];
  const labels = [`Blind cohort ${code}`, `Blind follow-up ${code}`];
  await uploadBlind(page, staff.passphrase, files[0], `${code}.researcher`, labels[0], "upload");
  await uploadBlind(page, staff.passphrase, files[1], `${code}.researcher`, labels[1]);

  // The CSP stored the blind protocol's tensors (its own parameters' tag), and no column statistics.
  const features = await e2eSql<{ params_id: string; has_stats: boolean; ciphertext_count: number }>(
    `SELECT f.params_id, f.stats_ct IS NOT NULL AS has_stats, f.ciphertext_count
       FROM csp.upload_features f JOIN csp.uploads u ON u.id = f.upload_id WHERE u.label = ANY($1)`,
    [labels],
  );
  expect(features).toHaveLength(2);
  for (const f of features) expect(f).toMatchObject({ params_id: expect.stringMatching(/^blind-ckks-8192-/), has_stats: false, ciphertext_count: 4 });

  await admin.goto("/admin/clustering");
  const start = admin.getByRole("form", { name: "Start a clustering run" });
  const [first, second] = labels.map((l) => start.getByRole("checkbox", { name: new RegExp(l) }));
  await expect(first).toBeVisible({ timeout: 120_000 });
  // not pre-checked beside other uploads: blind uploads are clustered with each other only
  await expect(first).not.toBeChecked();
  await expect(start.getByRole("listitem").filter({ hasText: labels[0] })).toContainText("blind");
  for (const box of await start.getByRole("checkbox").all()) await box.uncheck();
  const standard = start.getByRole("listitem").filter({ hasNotText: "blind" }).getByRole("checkbox");
  if ((await standard.count()) > 0) {
    await first.check();
    await standard.first().check();
    await expect(start.getByTestId("columns-mismatch")).toContainText(
      `${labels[0]} is prepared for blind clustering: cluster blind uploads with each other only.`,
    );
    await standard.first().uncheck();
  }
  await first.check();
  await second.check();
  await expect(start.getByTestId("columns-mismatch")).toHaveCount(0);
  await start.getByLabel("Number of clusters (k)").fill("2");
  await start.getByLabel("Name of the run").fill(`Blind ${code}`);
  await start.getByRole("button", { name: "Start clustering run" }).click();
  await expect(admin).toHaveURL(/\/admin\/clustering\/[0-9a-f-]{36}$/);
  await expect(admin.getByTestId("run-status")).toContainText("succeeded", { timeout: 600_000 });
  const runId = admin.url().split("/").pop()!;
  await expect(admin.getByTestId("chart-cluster-sizes").locator("svg.recharts-surface").first()).toBeVisible();
  // labels only: the page says why there is no trace, typicality or centers chart
  await expect(admin.getByTestId("blind-note")).toContainText("per-cluster totals");
  for (const id of ["chart-convergence", "chart-typicality", "chart-centers"]) await expect(admin.getByTestId(id)).toHaveCount(0);
  await expect(admin.getByRole("link", { name: "Add new uploads to this run" })).toHaveCount(0);
  await shoot(admin, "run");

  // The labels the CSP stored recover the two groups across both uploads (far apart: no reference needed).
  const stored = await e2eSql<{ label: number }>(
    `SELECT l.label FROM csp.run_labels l JOIN csp.uploads u ON u.id = l.upload_id
      WHERE l.run_id = $1::uuid ORDER BY (u.label = $2) DESC, l.record_index`,
    [runId, labels[0]],
  );
  expect(stored).toHaveLength(240);
  const truth = Int32Array.from(groups, (g) => ["north", "south"].indexOf(g));
  const found = Int32Array.from(stored, (l) => l.label);
  expect(adjustedRandIndex(truth, found)).toBeGreaterThanOrEqual(0.98);

  // Labels only: no typicality aggregate, no centers, no trace kept by either party.
  const [run] = await e2eSql<{ typicality: unknown; status: string }>(`SELECT typicality, status FROM csp.clustering_runs WHERE id = $1::uuid`, [runId]);
  expect(run).toEqual({ typicality: null, status: "SUCCEEDED" });
  expect(await e2eSql(`SELECT run_id FROM authority.run_secrets WHERE run_id = $1::uuid`, [runId])).toHaveLength(0);
  const [completed] = await e2eSql<{ data: { protocol?: string } }>(
    `SELECT data FROM csp_ledger.audit_entries WHERE subject_id = $1 AND action = 'CLUSTERING_RUN_COMPLETED'`,
    [runId],
  );
  expect(completed.data.protocol).toBe("blind");

  // A researcher requests one of the run's clusters and decrypts it: the labels drive the research flow as any run's do.
  const { a: researcher, page: rp } = await approvedPerson(browser, admin, "Institute researcher", [`${code}.researcher`], "BlindRes");
  await rp.getByRole("button", { name: "Create transform key" }).click();
  await expect(rp.getByTestId("tk-status")).toContainText("Stored with the authority");
  await rp.goto("/research");
  const run_ = rp.getByTestId("clusters").getByTestId(`run-${runId}`);
  await expect(run_.getByTestId("run-heading")).toContainText(`Blind ${code}`);
  // no typicality exists for a blind run's clusters: shown as unknown, not as a number
  await expect(run_.getByRole("row").filter({ hasText: "120" }).first()).toContainText("—");
  await rp.getByRole("radio", { name: `Choose cluster 0 of Blind ${code}` }).check();
  await rp.getByLabel("Purpose of use").fill("Markers by group");
  await rp.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
  await rp.getByRole("button", { name: "Request, sign and decrypt" }).click();
  await unlockGate(rp, researcher.passphrase);
  const outcome = rp.getByTestId("request-outcome");
  await expect(outcome).toContainText("records decrypted in your browser", { timeout: 120_000 });
  // the cluster's records from both uploads, every one of them
  const decrypted = [...(await outcome.innerText()).matchAll(/([\d,]+) records decrypted in your browser/g)].reduce(
    (t, m) => t + Number(m[1].replace(/,/g, "")),
    0,
  );
  expect(decrypted).toBe(120);
  await shoot(rp, "research");
});
