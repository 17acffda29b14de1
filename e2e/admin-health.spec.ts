/**
 * /admin shows each party's health: the portal (authority) and the CSP, each its own process,
 * both up and running this build's version (the CSP's as it answers over the network).
 */
import { readFileSync } from "node:fs";
import { expect, test } from "./fixtures/test";
import { adminPage } from "./fixtures/admin";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

test("the admin home shows the portal and the CSP up, with their version", async ({ browser }) => {
  const admin = await adminPage(browser);
  const panel = admin.getByRole("region", { name: "Services" });
  for (const [party, name] of [["authority", "Portal (authority)"], ["csp", "Storage service (CSP)"]] as const) {
    const card = panel.getByTestId(`service-${party}`);
    await expect(card.getByRole("heading", { name })).toBeVisible();
    await expect(card.getByTestId("service-status")).toHaveText("Up");
    await expect(card.getByTestId("service-version")).toHaveText(version);
    await expect(card.locator("time")).toHaveText(/^\d\d:\d\d:\d\d UTC$/);
  }
  await expect(panel).not.toContainText(/error|stack|at .*\.js/i);
});
