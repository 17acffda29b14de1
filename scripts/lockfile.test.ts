import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// `npm ci` (what .ci/run uses) refuses a lockfile out of step with package.json, and `npm install`
// on a clean clone would silently rewrite it: keep the two in agreement.
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const root = lock.packages[""];

describe("package-lock.json", () => {
  for (const field of ["dependencies", "devDependencies"] as const) {
    it(`lists the same ${field} as package.json`, () => {
      expect(root[field] ?? {}).toEqual(pkg[field] ?? {});
    });
  }

  it("resolves every direct dependency to a locked version", () => {
    const direct = { ...pkg.dependencies, ...pkg.devDependencies } as Record<string, string>;
    for (const [name, range] of Object.entries(direct)) {
      const entry = lock.packages[`node_modules/${name}`];
      expect(entry, `${name} is missing from the lockfile`).toBeDefined();
      // exact pins must be locked at exactly that version
      if (/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(range)) expect(entry.version, name).toBe(range);
    }
  });
});
