// Migration 0027 (issue #17 item 15, records stored on a chunk's arrival) on a database holding an
// unfinished upload with chunks and a stored one: the chunks' bytes cannot become records in SQL,
// so they go and the unfinished upload counts nothing received (its browser sends them again on
// resume); the stored upload and its records are untouched.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { runMigrations } from "@/lib/db/migrate";
import { createEmptyDatabase, rawSql } from "./helpers/db";

const before = mkdtempSync(path.join(tmpdir(), "medshare-migrations-"));
afterAll(() => rmSync(before, { recursive: true, force: true }));

describe("migration 0027: chunk rows keep their layout and leaves, not their bytes", () => {
  it("drops chunks in transit (resent on resume), keeps stored uploads, and gives chunk rows their new columns", async () => {
    const url = await createEmptyDatabase();
    cpSync(path.resolve("prisma/migrations"), before, { recursive: true, filter: (src) => !src.includes("0027_upload_records_on_arrival") });
    await runMigrations(url, before);

    const receiving = randomUUID();
    const stored = randomUUID();
    for (const [id, status, received] of [
      [receiving, "RECEIVING", 300],
      [stored, "STORED", 0],
    ] as const)
      await rawSql(
        url,
        `INSERT INTO csp.uploads (id, organisation_id, uploader_id, status, label, format, policy, key_versions, envelope, envelope_digest, records_root,
           record_count, chunk_count, total_bytes, signature, signature_policy, signature_versions, signer_gid, received_bytes)
         VALUES ($1, $2, $3, $4::csp."UploadStatus", 'x', 'csv', 'HA1.r', '{}', '\\x00', '\\x00', '\\x00', 1, 2, 600, '\\x00', 'SRC.h', '{}', 'g', $5)`,
        [id, randomUUID(), randomUUID(), status, received],
      );
    await rawSql(url, `INSERT INTO csp.upload_chunks (upload_id, index, data, sha256) VALUES ($1, 0, $2, 'h')`, [receiving, Buffer.alloc(300, 7)]);
    await rawSql(url, `INSERT INTO csp.record_ciphertexts (upload_id, index, record_id, ct, leaf_hash) VALUES ($1, 0, 'r0', '\\x01', $2)`, [
      stored,
      Buffer.alloc(32),
    ]);

    expect(await runMigrations(url)).toEqual(["0027_upload_records_on_arrival"]);

    expect((await rawSql(url, `SELECT count(*)::int AS n FROM csp.upload_chunks`)).rows[0].n).toBe(0);
    const uploads = await rawSql<{ id: string; status: string; received_bytes: number }>(
      url,
      `SELECT id::text, status::text, received_bytes FROM csp.uploads ORDER BY status`,
    );
    expect(uploads.rows).toEqual([
      { id: receiving, status: "RECEIVING", received_bytes: 0 },
      { id: stored, status: "STORED", received_bytes: 0 },
    ]);
    expect((await rawSql(url, `SELECT count(*)::int AS n FROM csp.record_ciphertexts WHERE upload_id = $1`, [stored])).rows[0].n).toBe(1);
    const columns = await rawSql<{ column_name: string; is_nullable: string }>(
      url,
      `SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'csp' AND table_name = 'upload_chunks' ORDER BY column_name`,
    );
    expect(columns.rows).toEqual(
      ["first_record", "index", "leaves", "record_count", "sha256", "size", "upload_id"].map((column_name) => ({ column_name, is_nullable: "NO" })),
    );
  });
});
