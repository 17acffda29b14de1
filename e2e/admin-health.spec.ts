/**
 * /admin shows each party's health: the portal (authority), the CSP and the attribute
 * authorities HA1 and NRI, each its own process, all up and running this build's version (each
 * as it answers over the network).
 */
import { readFileSync } from "node:fs";
import { expect, test } from "./fixtures/test";
import { adminPage } from "./fixtures/admin";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };

test("the admin home shows the portal, the CSP and both attribute authorities up, with their version", async ({ browser }) => {
  const admin = await adminPage(browser);
  const panel = admin.getByRole("region", { name: "Services" });
  // Checked once per page load: a CSP just started may answer its very first request too late
  // on a busy machine, as an admin would see; they reload, and so does this check.
  const cspStatus = panel.getByTestId("service-csp").getByTestId("service-status");
  await expect(async () => {
    const status = await cspStatus.textContent({ timeout: 10_000 });
    if (status !== "Up") {
      await admin.reload();
      throw new Error(`the CSP reads "${status}"`);
    }
  }).toPass({ timeout: 60_000 });
  for (const [party, name] of [
    ["authority", "Portal (authority)"],
    ["csp", "Storage service (CSP)"],
    ["aa:HA1", "Attribute authority HA1"],
    ["aa:NRI", "Attribute authority NRI"],
  ] as const) {
    const card = panel.getByTestId(`service-${party}`);
    await expect(card.getByRole("heading", { name })).toBeVisible();
    await expect(card.getByTestId("service-status")).toHaveText("Up");
    await expect(card.getByTestId("service-version")).toHaveText(version);
    await expect(card.locator("time")).toHaveText(/^\d\d:\d\d:\d\d UTC$/);
    // Each AA's log as the portal witnesses it (lib/aa/witness.ts): not yet, or agreeing; never an alert.
    if (party.startsWith("aa:")) await expect(card.getByTestId("service-log")).toHaveText(/^(Not witnessed yet|Witnessed: agrees at \d+ entries)/);
  }
  await expect(panel).not.toContainText(/error|stack|at .*\.js/i);
});
