import { expect, test } from "./fixtures/test";
import { AxeBuilder } from "@axe-core/playwright";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { visitEveryPage } from "./fixtures/every-page";

test.describe.configure({ timeout: 1_800_000 });

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const SHOTS = path.resolve(".data", "screenshots");

/** axe-core (WCAG 2.x A and AA rules and best practices, none disabled): its serious and critical findings. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((x) => x.impact === "serious" || x.impact === "critical")
    .map(
      (v) =>
        `${v.id} (${v.impact}) ${v.help}: ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(" "))
          .join(", ")}`,
    );
}

/** Elements that reach past the viewport's right edge, innermost first: what to fix when a page scrolls sideways. */
async function overflowing(page: Page, width: number): Promise<string[]> {
  return page.evaluate((w) => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const r = el.getBoundingClientRect();
      if (r.right <= w + 0.5 || r.width === 0) continue;
      // inside a container that scrolls by itself: fine
      let p = el.parentElement;
      let contained = false;
      while (p && p !== document.body) {
        const s = getComputedStyle(p);
        if ((s.overflowX === "auto" || s.overflowX === "scroll" || s.overflowX === "hidden") && p.getBoundingClientRect().right <= w + 0.5) contained = true;
        p = p.parentElement;
      }
      if (contained) continue;
      out.push(
        `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${String(el.getAttribute("class") ?? "")
          .split(" ")
          .slice(0, 4)
          .join(".")} right=${Math.round(r.right)}`,
      );
    }
    return out.slice(-8);
  }, width);
}

/**
 * One walk over every page, for every role, with data (the walk's set-up — an upload, a
 * clustering run, a decryption — is the expensive part, so every page check shares it): at
 * 1280 px and at 390 px no serious or critical accessibility violation; at 390 px no page
 * scrolls sideways; a screenshot at each width into .data/screenshots/ to look at.
 */
test("every page for every role: no serious accessibility violation at 1280 and 390 px, nothing scrolls sideways on a phone; screenshots", async ({
  browser,
}) => {
  mkdirSync(SHOTS, { recursive: true });
  const seen: string[] = [];
  await visitEveryPage(browser, async ({ role, name, page }) => {
    const where = `${role} ${name} (${new URL(page.url()).pathname})`;
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport);
      await page.waitForTimeout(300); // charts re-measure their container
      const serious = await seriousViolations(page);
      if (serious.length) console.log(`a11y ${where} @${viewport.width}: ${serious.join(" | ")}`);
      expect.soft(serious, `${where} at ${viewport.width} px`).toEqual([]);
      if (viewport === PHONE) {
        const width = await page.evaluate(() => document.scrollingElement!.scrollWidth);
        if (width > PHONE.width) console.log(`wide ${where}: ${width} px`);
        expect
          .soft(width, `${where} is ${width} px wide at 390 px; overflowing: ${(await overflowing(page, PHONE.width)).join(" | ")}`)
          .toBeLessThanOrEqual(PHONE.width);
      }
      await page.screenshot({ path: path.join(SHOTS, `${role}-${name}-${viewport.width}.png`), fullPage: true });
    }
    await page.setViewportSize(DESKTOP);
    seen.push(`${role}/${name}`);
  });
  expect(seen.length).toBeGreaterThanOrEqual(30);
});
