import { expect, test } from "./fixtures/test";
import { AxeBuilder } from "@axe-core/playwright";
import { visitEveryPage } from "./fixtures/every-page";

test.describe.configure({ timeout: 1_800_000 });

/**
 * axe-core (WCAG 2.x A and AA rules and best practices) on every page, for every role, with
 * data, at 1280 px and at 390 px: no serious or critical violation. No rule is disabled.
 */
test("every page for every role has no serious or critical accessibility violation", async ({ browser }) => {
  let pages = 0;
  await visitEveryPage(browser, async ({ role, name, page }) => {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 844 });
      await page.waitForTimeout(200);
      const { violations } = await new AxeBuilder({ page }).analyze();
      const serious = violations
        .filter((x) => x.impact === "serious" || x.impact === "critical")
        .map((v) => `${v.id} (${v.impact}) ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
      if (serious.length) console.log(`a11y ${role} ${name} @${width}: ${serious.join(" | ")}`);
      expect.soft(serious, `${role} ${name} (${new URL(page.url()).pathname}) at ${width} px`).toEqual([]);
      pages += 1;
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });
  expect(pages).toBeGreaterThanOrEqual(60);
});
