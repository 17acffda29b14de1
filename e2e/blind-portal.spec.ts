import { expect, test } from "./fixtures/test";
import type { Page } from "@playwright/test";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { adjustedRandIndex } from "@/lib/hopcm";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { e2eSql } from "./fixtures/database";
import { unlockGate } from "./fixtures/helpers";

// Issue #14 wired into the portal: an upload prepared for the blind protocol in the hospital's
// browser, clustered by the CSP's worker with the key holder's session at the authority.
test.describe.configure({ timeout: 900_000 });

const SHOTS = path.resolve(".data", "screenshots");

async function shoot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, `blind-portal-${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** Three groups of records, well apart in four numeric columns (a text column says which). */
function cohort(file: string, n: number): string[] {
  const lines = ["marker_a,marker_b,marker_c,marker_d,group"];
  const groups: string[] = [];
  for (let i = 0; i < n; i++) {
    const g = i % 3;
    const jitter = (c: number) => (((i * 37 + c * 11) % 17) - 8) / 4;
    const values = [0, 1, 2, 3].map((c) => (50 + (g === 0 ? 0 : g === 1 ? 30 : -30) * (c % 2 === 0 ? 1 : -1) + jitter(c)).toFixed(1));
    groups.push(["north", "east", "south"][g]);
    lines.push([...values, groups[i]].join(","));
  }
  writeFileSync(file, lines.join("\n") + "\n");
  return groups;
}

test("an upload prepared for blind clustering is clustered without the key holder or the CSP seeing a record's value", async ({ browser }) => {
  const admin = await adminPage(browser);
  const code = await createCatalogue(admin, ["hospital", "researcher"]);
  const { a: staff, page } = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Blind");
  const file = test.info().outputPath("blind-cohort.csv");
  const groups = cohort(file, 240);
  const label = `Blind cohort ${code}`;

  await page.goto("/hospital/upload");
  await unlockGate(page, staff.passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(file);
  await page.getByLabel("Policy", { exact: true }).fill(`${code}.researcher`);
  await page.getByLabel("Label").fill(label);
  await page.getByRole("checkbox", { name: /Prepare for blind clustering/ }).check();
  await shoot(page, "upload");
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("4 numeric fields were encrypted for blind clustering (CKKS) and stored.")).toBeVisible({ timeout: 180_000 });

  // The CSP stored the blind protocol's tensors (its own parameters' tag), and no column statistics.
  const [{ id: uploadId }] = await e2eSql<{ id: string }>(`SELECT id FROM csp.uploads WHERE label = $1`, [label]);
  const [features] = await e2eSql<{ params_id: string; has_stats: boolean; ciphertext_count: number }>(
    `SELECT params_id, stats_ct IS NOT NULL AS has_stats, ciphertext_count FROM csp.upload_features WHERE upload_id = $1::uuid`,
    [uploadId],
  );
  expect(features).toMatchObject({ params_id: expect.stringMatching(/^blind-ckks-8192-/), has_stats: false, ciphertext_count: 4 });

  await admin.goto("/admin/clustering");
  const start = admin.getByRole("form", { name: "Start a clustering run" });
  const box = start.getByRole("checkbox", { name: new RegExp(label) });
  await expect(box).toBeVisible({ timeout: 120_000 });
  // not pre-checked beside other uploads: a blind upload is clustered on its own
  await expect(box).not.toBeChecked();
  await expect(start.getByRole("listitem").filter({ hasText: label })).toContainText("blind");
  const others = start.getByRole("listitem").filter({ hasNotText: label }).getByRole("checkbox");
  for (const other of await start.getByRole("checkbox").all()) await other.uncheck();
  if ((await others.count()) > 0) {
    await box.check();
    await others.first().check();
    await expect(start.getByTestId("columns-mismatch")).toContainText(`${label} is prepared for blind clustering: choose it alone.`);
    await others.first().uncheck();
  }
  await box.check();
  await start.getByLabel("Number of clusters (k)").fill("3");
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

  // The labels the CSP stored recover the three groups (no reference needed: they are far apart).
  const labels = await e2eSql<{ record_index: number; label: number }>(
    `SELECT record_index, label FROM csp.run_labels WHERE run_id = $1::uuid ORDER BY record_index`,
    [runId],
  );
  expect(labels).toHaveLength(240);
  const truth = Int32Array.from(groups, (g) => ["north", "east", "south"].indexOf(g));
  expect(
    adjustedRandIndex(
      truth,
      Int32Array.from(labels, (l) => l.label),
    ),
  ).toBeGreaterThanOrEqual(0.98);

  // Labels only: no typicality aggregate, no centers, no trace kept by either party.
  const [run] = await e2eSql<{ typicality: unknown; status: string }>(`SELECT typicality, status FROM csp.clustering_runs WHERE id = $1::uuid`, [runId]);
  expect(run).toEqual({ typicality: null, status: "SUCCEEDED" });
  expect(await e2eSql(`SELECT run_id FROM authority.run_secrets WHERE run_id = $1::uuid`, [runId])).toHaveLength(0);
  const [completed] = await e2eSql<{ data: { protocol?: string } }>(
    `SELECT data FROM csp_ledger.audit_entries WHERE subject_id = $1 AND action = 'CLUSTERING_RUN_COMPLETED'`,
    [runId],
  );
  expect(completed.data.protocol).toBe("blind");
});
