import { expect, test } from "./fixtures/test";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "@playwright/test";
import { adminPage } from "./fixtures/admin";
import { visitEveryPage } from "./fixtures/every-page";

test.describe.configure({ timeout: 1_800_000 });

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const SHOTS = path.resolve(".data", "screenshots");

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
      const desc = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${String(el.getAttribute("class") ?? "").split(" ").slice(0, 4).join(".")} right=${Math.round(r.right)}`;
      out.push(desc);
    }
    return out.slice(-8);
  }, width);
}

test("the menu collapses behind a keyboard-operable button on a phone and is one line at 1280 px", async ({ browser }) => {
  const admin = await adminPage(browser);
  const nav = admin.getByRole("navigation", { name: "Main" });
  const people = nav.getByRole("link", { name: "People" });

  await admin.setViewportSize(DESKTOP);
  await expect(nav.getByRole("button", { name: "Menu" })).toBeHidden();
  const tops = new Set<number>();
  for (const link of await nav.locator("#main-menu").getByRole("link").all()) tops.add(Math.round((await link.boundingBox())!.y));
  expect([...tops], "every menu link on one line").toHaveLength(1);
  const navBox = (await nav.boundingBox())!;
  expect(navBox.height, "the admin menu fits on one line").toBeLessThan(70);

  await admin.setViewportSize(PHONE);
  const toggle = nav.getByRole("button", { name: "Menu" });
  await expect(toggle).toBeVisible();
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(people).toBeHidden();
  await toggle.focus();
  await admin.keyboard.press("Enter");
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(people).toBeVisible();
  await admin.keyboard.press("Tab");
  await expect(nav.getByRole("link").nth(1)).toBeFocused(); // the first menu link after the logo
  await admin.keyboard.press("Escape");
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(toggle).toBeFocused();
  await expect(people).toBeHidden();
  await admin.keyboard.press("Space");
  await expect(people).toBeVisible();
  await people.click();
  await expect(admin).toHaveURL(/\/admin\/people$/);
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  expect(await admin.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
});

test("at 390 px no page scrolls sideways; screenshots at 390 and 1280", async ({ browser }) => {
  mkdirSync(SHOTS, { recursive: true });
  const seen: string[] = [];
  await visitEveryPage(browser, async ({ role, name, page }) => {
    await page.setViewportSize(PHONE);
    await page.waitForTimeout(300); // charts re-measure their container
    const width = await page.evaluate(() => document.scrollingElement!.scrollWidth);
    if (width > PHONE.width) console.log(`wide ${role} ${name}: ${width} px`);
    expect.soft(width, `${role} ${name} (${page.url()}) is ${width} px wide at 390 px; overflowing: ${(await overflowing(page, PHONE.width)).join(" | ")}`).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: path.join(SHOTS, `${role}-${name}-390.png`), fullPage: true });
    await page.setViewportSize(DESKTOP);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, `${role}-${name}-1280.png`), fullPage: true });
    seen.push(`${role}/${name}`);
  });
  expect(seen.length).toBeGreaterThanOrEqual(30);
});
