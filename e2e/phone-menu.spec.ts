import { expect, test } from "./fixtures/test";
import { adminPage } from "./fixtures/admin";

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

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
