/**
 * /benchmarks, signed out: the ABE-OD benchmark runs in the page's Web Worker once started, and the
 * chart and table end up with this browser's series beside the paper's Table 4.1.
 */
import { expect, test } from "./fixtures/test";

const PAPER: Record<number, number> = { 2: 6.8, 3: 11.0, 5: 15.8, 8: 22.0, 10: 28.6 };
const NS = [2, 3, 5, 8, 10];

test("runs the benchmark in the browser and draws it beside the paper's Table 4.1", async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto("/benchmarks");

  await expect(page).toHaveURL(/\/benchmarks$/); // public: no redirect to /login
  await expect(page.getByRole("heading", { level: 1, name: "Computational overhead" })).toBeVisible();

  // Nothing runs on page load: the visitor starts it.
  await expect(page.getByTestId("bench-status")).toContainText("Not started");
  await expect(page.getByTestId("bench-progress")).toHaveCount(0);
  await page.getByRole("button", { name: "Start the benchmark" }).click();

  // Before results: progress bar, the paper's series alone, the paper column already filled.
  await expect(page.getByTestId("bench-progress")).toBeVisible();
  await expect(page.getByTestId("measuring-note")).toBeVisible();
  const chart = page.getByTestId("bench-chart");
  await expect(chart.locator(".recharts-line-dot.dot-paper")).toHaveCount(NS.length);
  for (const n of NS) await expect(page.getByTestId(`bench-row-${n}`).getByTestId("paper")).toHaveText(PAPER[n].toFixed(1));
  await page.screenshot({ path: testInfo.outputPath("benchmarks-measuring.png"), fullPage: true });

  // The worker keeps the main thread free: the page answers input while measuring (the run takes
  // minutes; 15 s allows for a machine shared with another journey, where 2 s once failed in CI).
  const reference = page.getByLabel("Also draw the reference path");
  await reference.check({ timeout: 15_000 });
  await reference.uncheck({ timeout: 15_000 });

  // The run finishes (the whole benchmark, both paths, every N).
  await expect(page.getByTestId("bench-status")).toContainText("Finished in", { timeout: 210_000 });
  await expect(page.getByTestId("bench-progress")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Run again" })).toBeEnabled();

  // Chart: both series, one dot per attribute count.
  await expect(chart.locator(".recharts-line")).toHaveCount(2);
  await expect(chart.locator(".recharts-line.series-measured")).toHaveCount(1);
  await expect(chart.locator(".recharts-line.series-paper")).toHaveCount(1);
  await expect(chart.locator(".recharts-line-dot.dot-measured")).toHaveCount(NS.length);
  await expect(chart.locator(".recharts-line-dot.dot-paper")).toHaveCount(NS.length);
  await expect(chart.getByText("MedShare, this browser (enc + user dec)")).toBeVisible();
  await expect(chart.getByText("Paper, Table 4.1")).toBeVisible();

  // Table: a measured number > 0 and the paper's value for every N.
  const measured: Record<number, number> = {};
  for (const n of NS) {
    const row = page.getByTestId(`bench-row-${n}`);
    await expect(row).toHaveAttribute("data-measured", "true");
    const value = Number(await row.getByTestId("measured").getAttribute("data-value"));
    expect(value, `enc + user dec at N=${n}`).toBeGreaterThan(0);
    expect(Number(await row.getByTestId("paper").getAttribute("data-value"))).toBe(PAPER[n]);
    expect(Number(await row.getByTestId("reference_enc_plus_dec_ms").getAttribute("data-value"))).toBeGreaterThan(0);
    measured[n] = value;
  }
  await expect(page.getByTestId("bench-backend")).toContainText(/wasm|noble/);
  await expect(page.getByTestId("bench-timestamp").locator("time")).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT/);

  // The optional reference series can be drawn too.
  await reference.check();
  await expect(chart.locator(".recharts-line-dot.dot-reference")).toHaveCount(NS.length);
  await chart.screenshot({ path: testInfo.outputPath("benchmarks-reference.png") });
  await reference.uncheck();
  await expect(chart.locator(".recharts-line-dot.dot-reference")).toHaveCount(0);

  console.log(`enc + user dec in Chromium (ms): ${NS.map((n) => `N=${n}: ${measured[n]}`).join(", ")}`);
  await page.screenshot({ path: testInfo.outputPath("benchmarks.png"), fullPage: true });
  expect(errors).toEqual([]);
});
