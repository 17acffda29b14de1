// Migration 0026 (issue #14, "the CSP stores labels only") on a database holding runs made before
// it: per-record typicalities become per-cluster aggregates, the objective trace moves to the
// authority, the key holder's sealed distances go; nothing else changes.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { runMigrations } from "@/lib/db/migrate";
import { createEmptyDatabase, rawSql } from "./helpers/db";

const before = mkdtempSync(path.join(tmpdir(), "medshare-migrations-"));
afterAll(() => rmSync(before, { recursive: true, force: true }));

describe("migration 0026: labels only at the CSP", () => {
  it("turns stored typicalities into per-cluster bins and sums, moves the trace, drops distances", async () => {
    const url = await createEmptyDatabase();
    cpSync(path.resolve("prisma/migrations"), before, { recursive: true, filter: (src) => !src.includes("0026_csp_labels_only") });
    await runMigrations(url, before);

    const done = randomUUID();
    const running = randomUUID();
    const upload = randomUUID();
    for (const [id, status] of [
      [done, "SUCCEEDED"],
      [running, "RUNNING"],
    ])
      await rawSql(
        url,
        `INSERT INTO csp.clustering_runs (id, status, k, upload_ids, n, p, created_by_id, objective) VALUES ($1, $2::csp."RunStatus", 3, $3, 4, 2, $4, $5)`,
        [id, status, JSON.stringify([upload]), randomUUID(), JSON.stringify(status === "SUCCEEDED" ? [9.5, 7.25, 7.125] : [4])],
      );
    // four records of the finished run: clusters 0, 0, 2, 2 (cluster 1 empty); typicality to each cluster
    const labels: Array<[number, number[]]> = [
      [0, [0.95, 0.1, 0.2]],
      [0, [0.4123, 0.3, 0.2]],
      [2, [0.1, 0.2, 0.05]],
      [2, [0.3, 0.2, 1]],
    ];
    for (const [j, [label, t]] of labels.entries())
      await rawSql(url, `INSERT INTO csp.run_labels (run_id, upload_id, record_index, label, typicality) VALUES ($1, $2, $3, $4, $5)`, [
        done,
        upload,
        j,
        label,
        t,
      ]);
    await rawSql(url, `INSERT INTO authority.run_secrets (run_id, k, n, p, sealed_centers, sealed_distances) VALUES ($1, 3, 4, 2, $2, $3)`, [
      done,
      Buffer.from("centers"),
      Buffer.from("distances"),
    ]);

    expect(await runMigrations(url)).toEqual(["0026_csp_labels_only"]);

    const runs = await rawSql<{ id: string; typicality: unknown }>(url, `SELECT id::text, typicality FROM csp.clustering_runs ORDER BY status`);
    const byId = new Map(runs.rows.map((r) => [r.id, r.typicality]));
    expect(byId.get(done)).toEqual({
      bins: [
        [0, 0, 0, 0, 1, 0, 0, 0, 0, 1],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [1, 0, 0, 0, 0, 0, 0, 0, 0, 1],
      ],
      sums: [1.3623, 0, 1.05],
    });
    expect(byId.get(running)).toBeNull(); // no result yet: nothing to summarise
    const traces = await rawSql<{ run_id: string; objective: unknown }>(url, `SELECT run_id::text, objective FROM authority.run_traces ORDER BY run_id`);
    expect(new Map(traces.rows.map((t) => [t.run_id, t.objective]))).toEqual(
      new Map([
        [done, [9.5, 7.25, 7.125]],
        [running, [4]],
      ]),
    );
    const gone = await rawSql(
      url,
      `SELECT table_schema || '.' || table_name || '.' || column_name AS c FROM information_schema.columns
       WHERE (table_schema, table_name, column_name) IN (('csp', 'run_labels', 'typicality'), ('csp', 'clustering_runs', 'objective'), ('authority', 'run_secrets', 'sealed_distances'))`,
    );
    expect(gone.rows).toEqual([]);
    expect((await rawSql(url, `SELECT label FROM csp.run_labels WHERE run_id = $1 ORDER BY record_index`, [done])).rows.map((r) => r.label)).toEqual([
      0, 0, 2, 2,
    ]);
    expect((await rawSql(url, `SELECT sealed_centers FROM authority.run_secrets WHERE run_id = $1`, [done])).rows[0].sealed_centers).toEqual(
      Buffer.from("centers"),
    );
  });
});
