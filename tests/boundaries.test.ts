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

/** lib/clustering's files by party: the authority's (the portal's) and the CSP's (csp/); the worker's are neither. */
function clusteringSides() {
  const authority = ["portal", "runs", "start", "cancel", "manage"].map((f) => `lib/clustering/${f}.ts`);
  return { authority, csp: sourceFiles("lib/clustering/csp").filter((f) => !f.endsWith(".test.ts")) };
}

/** The CSP's schemas (its rows and its log); every other schema is the authority's. */
const CSP_SCHEMAS = new Set(["csp", "csp_ledger"]);

/** Prisma models by client accessor (`db().clusteringRun`, `tx.runSeed`) with their schema, from schema.prisma. */
const MODEL_SCHEMAS = new Map(
  [...readFileSync("prisma/schema.prisma", "utf8").matchAll(/^model (\w+) \{[\s\S]*?@@schema\("(\w+)"\)[\s\S]*?^\}/gm)].map((m) => [
    m[1][0].toLowerCase() + m[1].slice(1),
    m[2],
  ]),
);

/** Tables a file touches: Prisma model accessors and schema-qualified tables in raw SQL. */
function tablesUsed(file: string): Array<{ table: string; schema: string }> {
  const text = readFileSync(file, "utf8");
  const models = [...text.matchAll(/\b(?:db\(\)|tx)\.(\w+)\./g)]
    .filter((m) => MODEL_SCHEMAS.has(m[1]))
    .map((m) => ({ table: m[1], schema: MODEL_SCHEMAS.get(m[1])! }));
  const sql = [...text.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+(\w+)\.(\w+)/g)].map((m) => ({ table: m[2], schema: m[1] }));
  return [...models, ...sql];
}

describe("module boundaries", () => {
  it("lib/csp never imports the authority's internals", () => {
    for (const file of [...sourceFiles("lib/csp"), ...sourceFiles("lib/clustering/csp")])
      for (const spec of importsOf(file)) expect(spec, `${file} imports ${spec}`).not.toMatch(/(^@\/lib\/authority|\/authority(\/|$))/);
  });

  it("pages and server actions reach clustering only through lib/clustering/portal", () => {
    for (const file of [...sourceFiles("app"), ...sourceFiles("lib/actions")])
      for (const spec of importsOf(file)) if (/^@\/lib\/clustering(\/|$)/.test(spec)) expect(spec, `${file} imports ${spec}`).toBe("@/lib/clustering/portal");
  });

  it("lib/clustering's authority files and CSP files keep to their party's modules and tables", () => {
    const side = clusteringSides();
    for (const file of side.authority) {
      for (const spec of importsOf(file))
        expect(spec, `${file} imports ${spec}`).not.toMatch(
          /^(@\/lib\/csp(\/|$)|@\/lib\/clustering\/(?!portal$|runs$|start$|cancel$|manage$)|\.\/(?!runs$|start$|cancel$|manage$))/,
        );
      expect(
        tablesUsed(file).filter((t) => CSP_SCHEMAS.has(t.schema)),
        `${file} uses the CSP's tables`,
      ).toEqual([]);
    }
    for (const file of side.csp) {
      for (const spec of importsOf(file))
        expect(spec, `${file} imports ${spec}`).not.toMatch(
          /^(@\/lib\/(authority|portal)(\/|$)|@\/lib\/clustering\/(portal|runs|start|cancel|manage)$|\.\.\/(portal|runs|start|cancel|manage)$)/,
        );
      expect(
        tablesUsed(file).filter((t) => !CSP_SCHEMAS.has(t.schema)),
        `${file} uses the authority's tables`,
      ).toEqual([]);
    }
    expect(side.authority.length).toBeGreaterThan(0);
    expect(side.csp.length).toBeGreaterThan(0);
  });

  it("issue #12: the clustering worker's files (the CSP's evaluator) import nothing of the authority and touch none of its tables", () => {
    const authority = new Set(clusteringSides().authority);
    const worker = sourceFiles("lib/clustering").filter((f) => !f.includes(`${path.sep}csp${path.sep}`) && !f.endsWith(".test.ts") && !authority.has(f));
    for (const name of ["process", "standard", "blind", "result", "worker", "recover"]) expect(worker).toContain(`lib/clustering/${name}.ts`);
    for (const file of worker) {
      for (const spec of importsOf(file)) expect(spec, `${file} imports ${spec}`).not.toMatch(/(^@\/lib\/(authority|portal)(\/|$)|\/authority(\/|$))/);
      for (const t of tablesUsed(file)) expect(CSP_SCHEMAS.has(t.schema), `${file} uses ${t.schema}.${t.table}`).toBe(true);
    }
  });

  it("lib/abe and lib/hopcm are pure: no app, framework or Node-only imports", () => {
    const allowed = /^(\.\.?\/|@noble\/(curves|hashes|ciphers)(\/|$)|node-seal(\/|$))/;
    for (const file of [...sourceFiles("lib/abe"), ...sourceFiles("lib/hopcm")]) {
      if (file.endsWith(".test.ts")) continue;
      // relative imports resolve inside lib/ (from any depth: lib/hopcm/encrypted/blind/x.ts may import ../../blind)
      const insideLib = (spec: string) => !path.relative(path.resolve("lib"), path.resolve(path.dirname(file), spec)).startsWith("..");
      for (const spec of importsOf(file)) {
        expect(spec, `${file} imports ${spec}`).toMatch(allowed);
        if (spec.startsWith(".")) expect(insideLib(spec), `${file} imports ${spec}: out of lib/`).toBe(true);
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

  it("the table check itself sees both parties' tables", () => {
    expect(MODEL_SCHEMAS.get("clusteringRun")).toBe("csp");
    expect(MODEL_SCHEMAS.get("runSeed")).toBe("authority");
    expect(tablesUsed("lib/clustering/manage.ts").map((t) => t.schema)).toContain("authority");
    expect(tablesUsed("lib/clustering/csp/manage.ts")).toContainEqual({ table: "clustering_runs", schema: "csp" });
  });
});
