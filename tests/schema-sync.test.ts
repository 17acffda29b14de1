import { readFileSync } from "node:fs";
import { get_dmmf } from "@prisma/prisma-schema-wasm";
import { describe, expect, it } from "vitest";
import { rawSql, withFreshDatabase } from "./helpers/db";

const database = withFreshDatabase();

type DmmfModel = { name: string; dbName: string | null; schema: string; fields: Array<{ name: string; kind: string; dbName?: string | null }> };

/** The data model as Prisma reads schema.prisma (its own schema engine, compiled to WebAssembly: Prisma's DMMF). */
function schemaModels(): DmmfModel[] {
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: readFileSync("prisma/schema.prisma", "utf8") })));
  return dmmf.datamodel.models;
}

describe("schema.prisma and the SQL migrations agree", () => {
  it("every model's columns exist in the migrated database, and no table column is unknown to Prisma", async () => {
    const models = schemaModels();
    const { rows } = await rawSql<{ table_schema: string; table_name: string; column_name: string }>(
      database.url(),
      `SELECT table_schema, table_name, column_name FROM information_schema.columns
       WHERE table_schema IN ('portal','authority','csp','ledger','csp_ledger')`,
    );
    const live = new Map<string, Set<string>>();
    for (const r of rows) {
      const key = `${r.table_schema}.${r.table_name}`;
      if (!live.has(key)) live.set(key, new Set());
      live.get(key)!.add(r.column_name);
    }
    const expected = new Map<string, Set<string>>();
    for (const m of models) {
      const key = `${m.schema}.${m.dbName ?? m.name}`;
      expected.set(key, new Set(m.fields.filter((f) => f.kind !== "object").map((f) => f.dbName ?? f.name)));
    }
    expect([...live.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [table, columns] of expected) expect([...live.get(table)!].sort(), table).toEqual([...columns].sort());
  });

  it("ciphertext and hash columns are stored out of line without compression (migrations 0023, 0027: pglz cannot shrink them)", async () => {
    const { rows } = await rawSql<{ col: string; storage: string }>(
      database.url(),
      `SELECT c.relname || '.' || a.attname AS col, a.attstorage AS storage FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'csp' AND (c.relname, a.attname) IN (('feature_ciphertexts', 'ct'), ('upload_features', 'stats_ct'), ('upload_chunks', 'leaves'))
       ORDER BY 1`,
    );
    expect(rows).toEqual([
      { col: "feature_ciphertexts.ct", storage: "e" },
      { col: "upload_chunks.leaves", storage: "e" },
      { col: "upload_features.stats_ct", storage: "e" },
    ]);
  });
});
