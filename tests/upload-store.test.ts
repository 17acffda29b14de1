import { beforeAll, describe, expect, it } from "vitest";
import { recordLeaf } from "@/lib/abe";
import { completeUpload, putChunk, STORE_BATCH, uploadProgress } from "@/lib/csp/uploads";
import { db } from "@/lib/db/client";
import { toHex } from "@/lib/ledger/merkle";
import { entryLeaf, leavesFrom, logSize } from "@/lib/ledger/tree";
import { verifyChain } from "@/lib/ledger/verify";
import { startUpload } from "@/lib/portal/uploads";
import { unpackChunk } from "@/lib/uploads/protocol";
import { rawSql, withFreshDatabase } from "./helpers/db";
import { makeCatalogue, personWithKeys } from "./helpers/authority";
import { makeUser } from "./helpers/users";
import { prepareUpload } from "./helpers/upload";

const database = withFreshDatabase();

type Staff = Awaited<ReturnType<typeof personWithKeys>>;

// More records than one INSERT slice, so storing takes several statements in the upload's transaction.
const rows = Array.from({ length: STORE_BATCH + 300 }, (_, i) => ({ id: `S${i}`, glucose: 80 + (i % 50), diagnosis: i % 3 ? "B" : "M" }));

describe("storing a large upload (bulk inserts in one transaction)", () => {
  let staff: Staff;
  beforeAll(async () => {
    const admin = await makeUser("AUTHORITY_ADMIN");
    const ids = { ...(await makeCatalogue(admin.id, "SRC", ["hospital"])), ...(await makeCatalogue(admin.id, "HA1", ["researcher"])) };
    staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
  });

  async function sent(label: string) {
    const { chunks, body } = await prepareUpload(staff, "HA1.researcher", rows, "SRC.hospital", 256 * 1024, label);
    const { id } = await startUpload(staff.user, body);
    for (const [i, c] of chunks.entries()) await putChunk({ uploadId: id, organisationId: staff.user.organisation.id, index: i, data: c });
    return { id, chunks };
  }

  it("a failure while a later slice is written leaves nothing stored, and the upload can be completed once it is gone", async () => {
    const { id, chunks } = await sent("fails mid-way");
    // A real fault inside PostgreSQL (not a mock): the second INSERT slice hits a row the database refuses.
    await rawSql(
      database.url(),
      `CREATE FUNCTION csp.refuse_one_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full (test)'; END $$;
       CREATE TRIGGER refuse_one_record BEFORE INSERT ON csp.record_ciphertexts FOR EACH ROW WHEN (NEW.index = ${STORE_BATCH + 7}) EXECUTE FUNCTION csp.refuse_one_record();`,
    );
    try {
      await expect(completeUpload({ uploadId: id, organisationId: staff.user.organisation.id, actorId: staff.user.id })).rejects.toThrow();
    } finally {
      await rawSql(database.url(), "DROP TRIGGER refuse_one_record ON csp.record_ciphertexts; DROP FUNCTION csp.refuse_one_record();");
    }
    // nothing of the first slice stayed, the chunks are all still there, no audit entry claims it stored
    expect(await db().recordCiphertext.count({ where: { uploadId: id } })).toBe(0);
    expect(await uploadProgress({ uploadId: id, organisationId: staff.user.organisation.id })).toMatchObject({
      status: "RECEIVING",
      received: [...chunks.keys()],
    });
    expect(await db().cspAuditEntry.count({ where: { action: "UPLOAD_STORED", subjectId: id } })).toBe(0);

    expect(await completeUpload({ uploadId: id, organisationId: staff.user.organisation.id, actorId: staff.user.id })).toEqual({ stored: rows.length });
    expect(await db().cspAuditEntry.count({ where: { action: "UPLOAD_STORED", subjectId: id } })).toBe(1);
  });

  it("stores every record of every slice with its ciphertext, id and Merkle leaf, in index order", async () => {
    const { id, chunks } = await sent("stored in slices");
    expect(await completeUpload({ uploadId: id, organisationId: staff.user.organisation.id, actorId: staff.user.id })).toEqual({ stored: rows.length });
    const expected = chunks.flatMap(unpackChunk);
    const stored = await db().recordCiphertext.findMany({ where: { uploadId: id }, orderBy: { index: "asc" } });
    expect(stored.length).toBe(rows.length);
    for (const i of [0, 1, STORE_BATCH - 1, STORE_BATCH, rows.length - 1]) {
      expect(stored[i].index).toBe(i);
      expect(stored[i].recordId).toBe(expected[i].id);
      expect(new Uint8Array(stored[i].ct)).toEqual(expected[i].ct);
      expect(new Uint8Array(stored[i].leafHash)).toEqual(recordLeaf(expected[i]));
    }
    expect(stored.every((r, i) => r.index === i && r.leafHash.length === 32)).toBe(true);
    expect(await db().uploadChunk.count({ where: { uploadId: id } })).toBe(0);
    // the upload's entry (written on node-postgres, beside Prisma's) continues the CSP's chain and tree
    const [entry] = await db().cspAuditEntry.findMany({ where: { action: "UPLOAD_STORED", subjectId: id } });
    expect(entry.data).toMatchObject({ uploadId: id, records: rows.length, location: `csp:record_ciphertexts/${id}` });
    expect(await verifyChain(db(), 1000, "csp")).toMatchObject({ ok: true });
    expect(await logSize(db(), "csp")).toBe(Number(entry.seq));
    const leaf = (await leavesFrom(db(), "csp", Number(entry.seq) - 1, 1)).get(Number(entry.seq) - 1);
    expect(leaf).toBe(toHex(entryLeaf(entry.hash)));
  });
});
