import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(ts|tsx)$/.test(name) ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm)].map(
    (m) => m[1] ?? m[2] ?? m[3],
  );
}

describe("module boundaries", () => {
  it("lib/csp never imports the authority's internals", () => {
    for (const file of sourceFiles("lib/csp"))
      for (const spec of importsOf(file)) expect(spec, `${file} imports ${spec}`).not.toMatch(/(^@\/lib\/authority|\/authority(\/|$))/);
  });

  it("lib/abe and lib/hopcm are pure: no app, framework or Node-only imports", () => {
    const allowed = /^(\.\.?\/|@noble\/(curves|hashes|ciphers)(\/|$)|node-seal(\/|$))/;
    for (const file of [...sourceFiles("lib/abe"), ...sourceFiles("lib/hopcm")]) {
      if (file.endsWith(".test.ts")) continue;
      for (const spec of importsOf(file)) {
        expect(spec, `${file} imports ${spec}`).toMatch(allowed);
        expect(spec, `${file} imports ${spec}`).not.toMatch(/^\.\.\/\.\.\//); // not out of lib/
      }
      expect(readFileSync(file, "utf8"), `${file} uses Buffer/process`).not.toMatch(/\bBuffer\.|\bprocess\.(env|argv)/);
    }
  });

  it("lib/csv is pure: papaparse only, nothing from the rest of lib", () => {
    for (const file of sourceFiles("lib/csv")) {
      if (file.endsWith(".test.ts")) continue;
      for (const spec of importsOf(file)) expect(spec, `${file} imports ${spec}`).toMatch(/^(\.\/|papaparse$)/);
    }
  });

  it("the boundary check itself catches a forbidden import", () => {
    expect(importsOf("tests/boundaries.test.ts")).toContain("node:fs");
  });
});
