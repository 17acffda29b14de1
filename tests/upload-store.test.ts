import { randomBytes, randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { recordLeaf } from "@/lib/abe";
import { uploadsWithoutFeatures, storedFeatureShapes } from "@/lib/csp/features";
import { createRequest, listDatasets, requestData } from "@/lib/csp/requests";
import { completeUpload, putChunk, uploadProgress } from "@/lib/csp/uploads";
import { db } from "@/lib/db/client";
import { toHex } from "@/lib/ledger/merkle";
import { entryLeaf, leavesFrom, logSize } from "@/lib/ledger/tree";
import { verifyChain } from "@/lib/ledger/verify";
import { startUpload } from "@/lib/portal/uploads";
import { packRecords, unpackChunk } from "@/lib/uploads/protocol";
import { rawSql, withFreshDatabase } from "./helpers/db";
import { makeCatalogue, personWithKeys } from "./helpers/authority";
import { makeUser } from "./helpers/users";
import { prepareUpload } from "./helpers/upload";

const database = withFreshDatabase();

type Staff = Awaited<ReturnType<typeof personWithKeys>>;

const rows = Array.from({ length: 4396 }, (_, i) => ({ id: `S${i}`, glucose: 80 + (i % 50), diagnosis: i % 3 ? "B" : "M" }));

describe("storing a large upload (each chunk's records on arrival, checked and made visible at completion)", () => {
  let staff: Staff;
  let org = "";
  beforeAll(async () => {
    const admin = await makeUser("AUTHORITY_ADMIN");
    const ids = { ...(await makeCatalogue(admin.id, "SRC", ["hospital"])), ...(await makeCatalogue(admin.id, "HA1", ["researcher"])) };
    staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
    org = staff.user.organisation.id;
  });

  async function started(label: string) {
    const { chunks, body } = await prepareUpload(staff, "HA1.researcher", rows, "SRC.hospital", 64 * 1024, label);
    const { id } = await startUpload(staff.user, body);
    expect(chunks.length).toBeGreaterThan(3);
    return { id, chunks };
  }
  async function sent(label: string) {
    const { id, chunks } = await started(label);
    for (const [i, c] of chunks.entries()) await putChunk({ uploadId: id, organisationId: org, index: i, data: c });
    return { id, chunks };
  }
  const complete = (id: string) => completeUpload({ uploadId: id, organisationId: org, actorId: staff.user.id });
  const records = (id: string) => db().recordCiphertext.count({ where: { uploadId: id } });
  const storedEntries = (id: string) => db().cspAuditEntry.count({ where: { action: "UPLOAD_STORED", subjectId: id } });

  it("a failure inside PostgreSQL while a chunk's records are written leaves nothing of that chunk; sent again, it completes", async () => {
    const { id, chunks } = await started("fails mid-way");
    const last = chunks.length - 1;
    const lastRecords = unpackChunk(chunks[last]);
    // A real fault inside PostgreSQL (not a mock): a record of the last chunk is refused.
    await rawSql(
      database.url(),
      `CREATE FUNCTION csp.refuse_one_record() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full (test)'; END $$;
       CREATE TRIGGER refuse_one_record BEFORE INSERT ON csp.record_ciphertexts FOR EACH ROW WHEN (NEW.index = ${rows.length - 7}) EXECUTE FUNCTION csp.refuse_one_record();`,
    );
    try {
      for (const [i, c] of chunks.entries()) {
        const put = putChunk({ uploadId: id, organisationId: org, index: i, data: c });
        if (i === last) await expect(put).rejects.toThrow();
        else await put;
      }
    } finally {
      await rawSql(database.url(), "DROP TRIGGER refuse_one_record ON csp.record_ciphertexts; DROP FUNCTION csp.refuse_one_record();");
    }
    // nothing of the failed chunk stayed: no record, no chunk row, no bytes counted; nothing claims the upload stored
    expect(await records(id)).toBe(rows.length - lastRecords.length);
    expect(await uploadProgress({ uploadId: id, organisationId: org })).toMatchObject({
      status: "RECEIVING",
      received: [...chunks.keys()].slice(0, last),
      receivedBytes: chunks.slice(0, last).reduce((n, c) => n + c.length, 0),
    });
    expect(await complete(id)).toEqual({ missing: [last] });
    expect(await storedEntries(id)).toBe(0);

    await putChunk({ uploadId: id, organisationId: org, index: last, data: chunks[last] });
    expect(await complete(id)).toEqual({ stored: rows.length });
    expect(await storedEntries(id)).toBe(1);
  });

  it("stores every record of every chunk with its ciphertext, id and Merkle leaf, in index order", async () => {
    const { id, chunks } = await sent("stored on arrival");
    expect(await complete(id)).toEqual({ stored: rows.length });
    const expected = chunks.flatMap(unpackChunk);
    const stored = await db().recordCiphertext.findMany({ where: { uploadId: id }, orderBy: { index: "asc" } });
    expect(stored.length).toBe(rows.length);
    const firstOfSecondChunk = unpackChunk(chunks[0]).length;
    for (const i of [0, 1, firstOfSecondChunk - 1, firstOfSecondChunk, rows.length - 1]) {
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

  it("the records of an upload still arriving are nowhere data: not listed, not requestable, not released", async () => {
    const { id } = await sent("still arriving");
    expect(await records(id)).toBe(rows.length); // every chunk is in, the completion is not
    expect((await listDatasets()).map((u) => u.id)).not.toContain(id);
    expect((await uploadsWithoutFeatures()).map((u) => u.id)).not.toContain(id);
    expect(await storedFeatureShapes([id])).toEqual([]);
    const researcher = { id: randomUUID(), organisationId: randomUUID() }; // the CSP knows people by id only
    const ask = () =>
      createRequest({ requestId: randomUUID(), requesterId: researcher.id, organisationId: researcher.organisationId, purpose: "too early", uploadIds: [id] });
    await expect(ask()).rejects.toThrow(/does not exist/);
    expect(await db().accessRequestUpload.count({ where: { uploadId: id } })).toBe(0);
    // Even request rows naming it (none can be made: planted here) release none of its records.
    const plant = async (recordIndices?: number[]) => {
      const requestId = randomUUID();
      await db().accessRequest.create({
        data: {
          id: requestId,
          requesterId: researcher.id,
          organisationId: researcher.organisationId,
          purpose: "planted",
          targetType: "upload",
          targetId: id,
          absPolicy: "HA1.researcher",
          nonce: randomBytes(16).toString("hex"),
          tokenHash: "x",
          status: "READY",
          items: { create: [{ uploadId: id, partialDecryption: Buffer.from("partial"), ...(recordIndices ? { recordIndices } : {}) }] },
        },
      });
      return requestId;
    };
    const whole = await plant();
    const some = await plant([0, 5]);
    expect((await requestData(whole))[0].records).toEqual([]);
    expect((await requestData(some))[0].records).toEqual([]);
    // once stored, the same rows read them
    expect(await complete(id)).toEqual({ stored: rows.length });
    expect((await requestData(whole))[0].records).toHaveLength(rows.length);
    expect((await requestData(some))[0].records.map((r) => r.index)).toEqual([0, 5]);
    await db().accessRequest.deleteMany({ where: { id: { in: [whole, some] } } });
  });

  it("a rejected completion removes the upload with every record stored on arrival, audited", async () => {
    // chunks 1 and 2 swapped: each is well-formed and within the signed sizes, the order is not
    const swapped = await started("swapped chunks");
    const order = [0, 2, 1, ...swapped.chunks.keys()].filter((i, k, all) => all.indexOf(i) === k);
    for (const [i, from] of order.entries()) await putChunk({ uploadId: swapped.id, organisationId: org, index: i, data: swapped.chunks[from] });
    // a record changed in transit: framing intact, Merkle root not
    const tampered = await started("tampered record");
    for (const [i, c] of tampered.chunks.entries()) {
      const data = new Uint8Array(c);
      if (i === 1) data[data.length - 5] ^= 0x01;
      await putChunk({ uploadId: tampered.id, organisationId: org, index: i, data });
    }
    for (const [{ id }, reason] of [
      [swapped, /out of order or duplicated/],
      [tampered, /do not match the envelope's commitment/],
    ] as const) {
      expect(await records(id)).toBe(rows.length);
      await expect(complete(id)).rejects.toThrow(reason);
      expect(await db().upload.count({ where: { id } })).toBe(0);
      expect(await records(id)).toBe(0);
      expect(await db().uploadChunk.count({ where: { uploadId: id } })).toBe(0);
      expect(await db().cspAuditEntry.count({ where: { action: "UPLOAD_REJECTED", subjectId: id } })).toBe(1);
      expect(await storedEntries(id)).toBe(0);
    }
  });

  it("bad chunk bodies are refused with a 4xx and change nothing; a re-sent chunk is stored once", async () => {
    const { id, chunks } = await started("bad bodies");
    const before = async () => ({
      records: await records(id),
      chunks: await db().uploadChunk.count({ where: { uploadId: id } }),
      bytes: (await db().upload.findUniqueOrThrow({ where: { id } })).receivedBytes,
    });
    await putChunk({ uploadId: id, organisationId: org, index: 0, data: chunks[0] });
    const state = await before();
    expect(state).toEqual({ records: unpackChunk(chunks[0]).length, chunks: 1, bytes: chunks[0].length });
    const refused = async (index: number, data: Uint8Array, code: string, message: RegExp) => {
      await expect(putChunk({ uploadId: id, organisationId: org, index, data })).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
      expect(await before()).toEqual(state);
    };
    // truncated, random bytes, a record's framing cut short
    await refused(1, chunks[1].subarray(0, chunks[1].length - 7), "VALIDATION", /malformed/);
    await refused(1, randomBytes(600), "VALIDATION", /malformed/);
    // chunk 0's records sent again as chunk 1: they are another chunk's
    await refused(1, chunks[0], "CONFLICT", /overlap another chunk's/);
    // records out of order inside one chunk
    const shuffled = unpackChunk(chunks[1]);
    await refused(1, packRecords([shuffled[1], shuffled[0], ...shuffled.slice(2)], 1024 * 1024)[0], "VALIDATION", /out of order/);
    // records past the signed count
    const beyond = unpackChunk(chunks[chunks.length - 1]).map((r) => ({ ...r, index: r.index + 1 }));
    await refused(chunks.length - 1, packRecords(beyond, 1024 * 1024)[0], "VALIDATION", /past the \d+ its hospital signed for/);
    // different bytes for a stored index
    const other = new Uint8Array(chunks[0]);
    other[other.length - 1] ^= 1;
    await refused(0, other, "CONFLICT", /different content/);
    // the same chunk again, alone and in parallel: stored once
    expect(await putChunk({ uploadId: id, organisationId: org, index: 0, data: chunks[0] })).toEqual({ index: 0, duplicate: true });
    const twice = await Promise.all([1, 1, 1].map((index) => putChunk({ uploadId: id, organisationId: org, index, data: chunks[index] })));
    expect(twice.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await records(id)).toBe(unpackChunk(chunks[0]).length + unpackChunk(chunks[1]).length);
    for (let i = 2; i < chunks.length; i++) await putChunk({ uploadId: id, organisationId: org, index: i, data: chunks[i] });
    expect(await complete(id)).toEqual({ stored: rows.length });
    expect(await records(id)).toBe(rows.length);
  });
});
