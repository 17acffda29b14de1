// lib/records runs unchanged in the browser, a Web Worker and Node: no Node-only, DOM-only,
// app or framework code (the lint rule for lib/abe and lib/hopcm does not cover this folder).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const sources = readdirSync(here).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));

describe("lib/records is isomorphic", () => {
  it.each(sources)(
    "%s imports only lib/records, pure lib/hopcm and lib/csv modules, lib/validation/zod and the FHIR R4 types, and uses no Node or DOM globals",
    (file) => {
      const text = readFileSync(path.join(here, file), "utf8");
      const imports = [...text.matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']/g)].map((m) => m[1] ?? m[2]);
      for (const spec of imports) expect(spec).toMatch(/^\.\/[\w-]+$|^\.\.\/hopcm\/prng$|^\.\.\/csv\/csv$|^\.\.\/validation\/zod$|^fhir\/r4$/);
      const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(code).not.toMatch(/\b(Buffer|process|require|window|document|localStorage|__dirname)\b/);
    },
  );
});
