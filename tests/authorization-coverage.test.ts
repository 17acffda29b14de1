import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

function files(dir: string, match: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return files(p, match);
    return match.test(name) ? [p] : [];
  });
}

// Invariant: authorization is checked inside every server action and route handler.
describe("every entry point checks authorization itself", () => {
  it("each server action is built with defineAction (authentication, role, validation)", () => {
    const actions = files("lib/actions", /\.ts$/).filter((f) => readFileSync(f, "utf8").startsWith('"use server"'));
    expect(actions.length).toBeGreaterThan(10);
    for (const file of actions) {
      const text = readFileSync(file, "utf8");
      const exported = [...text.matchAll(/^export (const|async function|function) (\w+)/gm)];
      expect(exported.length, file).toBeGreaterThan(0);
      for (const m of exported) {
        expect(m[1], `${file}: ${m[2]} must be a defineAction(...)`).toBe("const");
        expect(text, `${file}: ${m[2]}`).toMatch(new RegExp(`export const ${m[2]} = defineAction\\(`));
      }
    }
  });

  it("each route handler goes through withUser or checks the session itself", () => {
    const routes = files("app/api", /^route\.ts$/);
    expect(routes.length).toBeGreaterThan(4);
    for (const file of routes) {
      const text = readFileSync(file, "utf8");
      if (file.includes("[...nextauth]")) continue; // the sign-in endpoint itself
      if (file === "app/api/health/route.ts") continue; // liveness for operators and /admin: service, version, database up; no data
      if (file.startsWith("app/api/csp/")) {
        // The CSP's API: every call carries the authority's party token, checked before anything else.
        expect(text, file).toMatch(/return serveCspCall\(/);
        continue;
      }
      if (file.startsWith("app/api/key-holder/")) {
        // The blind protocol's key holder: every POST carries the CSP's party token for one run; GET gives public keys only.
        expect(text, file).toMatch(/return serveKeyHolderCall\(/);
        expect(text, file).toMatch(/op !== "keys"\) return notHere\(\)/);
        continue;
      }
      const handlers = [...text.matchAll(/^export (const|async function) (GET|POST|PUT|PATCH|DELETE)\b/gm)];
      expect(handlers.length, file).toBeGreaterThan(0);
      for (const h of handlers) {
        const ok = h[1] === "const" ? new RegExp(`export const ${h[2]} = withUser\\(`).test(text) : /requireApproved\(/.test(text);
        expect(ok, `${file} ${h[2]} checks authorization`).toBe(true);
      }
    }
  });

  it("defineAction and withUser really refuse without a session (checked against the real database elsewhere)", () => {
    const safe = readFileSync("lib/actions/safe-action.ts", "utf8");
    expect(safe).toMatch(/requireApproved\(access\.roles\)/);
    expect(readFileSync("lib/http/route.ts", "utf8")).toMatch(/await requireApproved\(roles\)/);
  });
});
