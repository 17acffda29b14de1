import { expect, test } from "./fixtures/test";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { E2E_ADMIN } from "./fixtures/accounts";

// Runs last (its own project in playwright.config.ts, after every other journey): the server's log holds no patient
// value, no password, no key passphrase and no key material.
test("the server logged no patient data and no secrets", async () => {
  const file = path.resolve(".data", "e2e-server.log");
  expect(existsSync(file)).toBe(true);
  const log = readFileSync(file, "utf8");
  expect(log.length).toBeGreaterThan(0);
  const wdbc = readFileSync(path.resolve("..", "shared", "datasets", "wdbc.csv"), "utf8");
  const values = [...new Set(wdbc.split(/[\n,]/).filter((v) => /^\d+\.\d{4,}$/.test(v)))];
  expect(values.length).toBeGreaterThan(100);
  for (const v of values) expect(log.includes(v), `WDBC value ${v} in the log`).toBe(false);
  expect(log).not.toContain(E2E_ADMIN.password);
  expect(log).not.toMatch(/pw-[0-9a-f]{6}-long-enough/); // applicants' passwords
  expect(log).not.toMatch(/keys-[0-9a-f]{6}-passphrase/); // key passphrases
  expect(log).not.toMatch(/alpha-77121|ca125/); // values from small uploaded files
  expect(log).not.toMatch(/"(wrapSecretKey|sealedSecret|secret)"\s*:/);
});
