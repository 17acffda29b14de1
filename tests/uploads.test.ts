import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { completeUpload, listUploads, putChunk, uploadProgress, uploadsByDigest } from "@/lib/csp/uploads";
import { uploadsWithoutFeatures } from "@/lib/csp/features";
import { sourceDigest } from "@/lib/uploads/source-digest";
import { allCurrentVersions } from "@/lib/authority/catalogue";
import { revokeAttribute } from "@/lib/authority/keys";
import { db } from "@/lib/db/client";
import { verifyChain } from "@/lib/ledger/verify";
import { checkPolicy, startUpload } from "@/lib/portal/uploads";
import { withFreshDatabase } from "./helpers/db";
import { makeCatalogue, personWithKeys } from "./helpers/authority";
import { scanDatabase } from "./helpers/scan";
import { makeUser } from "./helpers/users";
import { prepareUpload } from "./helpers/upload";

const database = withFreshDatabase();

type Staff = Awaited<ReturnType<typeof personWithKeys>>;

const patients = Array.from({ length: 40 }, (_, i) => ({
  id: `P${1000 + i}`,
  glucose: Number((90.1234 + i * 1.37).toFixed(4)),
  diagnosis: i % 2 ? "M" : "B",
  note: `marker-${i}-zq`,
}));

const prepare = (staff: Staff, policy: string) => prepareUpload(staff, policy, patients, "SRC.hospital");

describe("upload to the CSP", () => {
  let staff: Staff;
  let admin: { id: string };
  let ids: Record<string, string> = {};
  beforeAll(async () => {
    admin = await makeUser("AUTHORITY_ADMIN");
    ids = { ...(await makeCatalogue(admin.id, "SRC", ["hospital"])), ...(await makeCatalogue(admin.id, "HA1", ["researcher", "cardiology"])) };
    staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
  });

  it("refuses a policy with a syntax error or an unknown attribute, before anything is encrypted", async () => {
    await expect(checkPolicy("HA1.researcher AND")).rejects.toThrow(/position/);
    await expect(checkPolicy("HA1.researcher AND HA9.ghost")).rejects.toThrow(/Unknown attribute: HA9.ghost/);
  });

  it("stores a verified upload in chunks, resumable, with its audit entry", async () => {
    const { chunks, body } = await prepare(staff, "HA1.researcher AND HA1.cardiology");
    expect(chunks.length).toBeGreaterThan(2);
    const { id } = await startUpload(staff.user, body);
    await putChunk({ uploadId: id, organisationId: staff.user.organisation.id, index: 0, data: chunks[0] });
    await putChunk({ uploadId: id, organisationId: staff.user.organisation.id, index: 0, data: chunks[0] }); // resent after a dropped connection
    expect((await uploadProgress({ uploadId: id, organisationId: staff.user.organisation.id })).received).toEqual([0]);
    expect(await completeUpload({ uploadId: id, organisationId: staff.user.organisation.id, actorId: staff.user.id })).toMatchObject({
      missing: [...chunks.keys()].slice(1),
    });
    for (let i = 1; i < chunks.length; i++) await putChunk({ uploadId: id, organisationId: staff.user.organisation.id, index: i, data: chunks[i] });
    expect(await completeUpload({ uploadId: id, organisationId: staff.user.organisation.id, actorId: staff.user.id })).toEqual({ stored: patients.length });
    expect(await db().recordCiphertext.count({ where: { uploadId: id } })).toBe(patients.length);
    expect(await db().uploadChunk.count()).toBe(0);
    expect(await db().cspAuditEntry.count({ where: { action: "UPLOAD_STORED", subjectId: id } })).toBe(1);
  });

  it("stores chunks in parallel without waiting on each other, once each, and a complete waits for those in flight", async () => {
    const org = staff.user.organisation.id;
    const { chunks, body } = await prepare(staff, "HA1.researcher");
    const { id } = await startUpload(staff.user, body);
    // a chunk store in flight elsewhere: the upload row share-locked and its chunk written, not yet committed
    const held = new pg.Client({ connectionString: database.url() });
    await held.connect();
    try {
      await held.query("BEGIN");
      await held.query("SELECT 1 FROM csp.uploads WHERE id = $1 FOR KEY SHARE", [id]);
      await held.query("INSERT INTO csp.upload_chunks (upload_id, index, sha256, size, first_record, record_count, leaves) VALUES ($1, 0, 'x', $2, 0, 1, $3)", [
        id,
        chunks[0].length,
        Buffer.alloc(32),
      ]);
      const timeout = (ms: number) => new Promise((resolve) => setTimeout(() => resolve("waited"), ms));
      // another chunk's store does not wait for it (it used to: the upload row was locked FOR UPDATE per chunk)
      expect(await Promise.race([putChunk({ uploadId: id, organisationId: org, index: 1, data: chunks[1] }), timeout(10_000)])).toEqual({
        index: 1,
        duplicate: false,
      });
      // a complete does
      const completing = completeUpload({ uploadId: id, organisationId: org, actorId: staff.user.id });
      expect(await Promise.race([completing, timeout(1000)])).toBe("waited");
      await held.query("ROLLBACK");
      expect(await completing).toMatchObject({ missing: [0, ...[...chunks.keys()].slice(2)] });
    } finally {
      await held.end();
    }
    // every chunk twice, all at once (retries beside their originals): each stored once, the bytes counted once
    const results = await Promise.all(
      [...chunks.entries(), ...chunks.entries()].map(([index, data]) => putChunk({ uploadId: id, organisationId: org, index, data })),
    );
    expect(
      results
        .filter((r) => !r.duplicate)
        .map((r) => r.index)
        .sort((a, b) => a - b),
    ).toEqual([0, ...[...chunks.keys()].slice(2)]);
    expect(await db().uploadChunk.count({ where: { uploadId: id } })).toBe(chunks.length);
    expect((await db().upload.findUniqueOrThrow({ where: { id } })).receivedBytes).toBe(chunks.reduce((n, c) => n + c.length, 0));
    await expect(putChunk({ uploadId: id, organisationId: org, index: 0, data: chunks[1] })).rejects.toThrow(/different content/);
    expect(await completeUpload({ uploadId: id, organisationId: org, actorId: staff.user.id })).toEqual({ stored: patients.length });
  });

  it("rejects a record changed in transit and stores nothing of it", async () => {
    const { chunks, body } = await prepare(staff, "HA1.researcher");
    const { id } = await startUpload(staff.user, body);
    const tampered = chunks.map((c) => new Uint8Array(c));
    tampered[1][tampered[1].length - 5] ^= 0x01; // one byte of one record ciphertext
    for (const [i, c] of tampered.entries()) await putChunk({ uploadId: id, organisationId: staff.user.organisation.id, index: i, data: c });
    await expect(completeUpload({ uploadId: id, organisationId: staff.user.organisation.id, actorId: staff.user.id })).rejects.toThrow(
      /do not match the envelope's commitment/,
    );
    expect(await db().upload.count({ where: { id } })).toBe(0);
    expect(await db().recordCiphertext.count({ where: { uploadId: id } })).toBe(0);
    expect(await db().cspAuditEntry.count({ where: { action: "UPLOAD_REJECTED", subjectId: id } })).toBe(1);
  });

  it("refuses a truncated chunk on arrival and stores nothing of it; the upload completes once the whole chunk arrives", async () => {
    const { chunks, body } = await prepare(staff, "HA1.researcher");
    const { id } = await startUpload(staff.user, body);
    const org = staff.user.organisation.id;
    await expect(putChunk({ uploadId: id, organisationId: org, index: 0, data: chunks[0].subarray(0, chunks[0].length - 7) })).rejects.toMatchObject({
      code: "VALIDATION",
      message: expect.stringMatching(/malformed/),
    });
    for (let i = 1; i < chunks.length; i++) await putChunk({ uploadId: id, organisationId: org, index: i, data: chunks[i] });
    expect(await completeUpload({ uploadId: id, organisationId: org, actorId: staff.user.id })).toEqual({ missing: [0] });
    expect(await db().recordCiphertext.count({ where: { uploadId: id, index: 0 } })).toBe(0);
    await putChunk({ uploadId: id, organisationId: org, index: 0, data: chunks[0] });
    expect(await completeUpload({ uploadId: id, organisationId: org, actorId: staff.user.id })).toEqual({ stored: patients.length });
  });

  it("rejects a tampered envelope, a forged signature and a signature by someone else at the start", async () => {
    const before = await db().upload.count();
    const { body } = await prepare(staff, "HA1.researcher");
    const env = Buffer.from(body.envelope, "base64");
    for (const pos of [20, Math.floor(env.length / 2), env.length - 3]) {
      const bad = Buffer.from(env);
      bad[pos] ^= 0x40;
      await expect(startUpload(staff.user, { ...body, envelope: bad.toString("base64") })).rejects.toThrow(/Upload rejected/);
    }
    const sig = Buffer.from(body.signature, "base64");
    sig[sig.length - 10] ^= 1;
    await expect(startUpload(staff.user, { ...body, signature: sig.toString("base64") })).rejects.toThrow(/signature|malformed/);
    const other = await prepare(staff, "HA1.cardiology");
    await expect(startUpload(staff.user, { ...body, signature: other.body.signature })).rejects.toThrow(/signature does not verify/);
    expect(await db().upload.count()).toBe(before);
  });

  it("marks uploads under a revoked key version and lets their owner re-encrypt them", async () => {
    const { chunks, body } = await prepare(staff, "HA1.researcher AND HA1.cardiology");
    const { id: oldId } = await startUpload(staff.user, body);
    for (const [i, c] of chunks.entries()) await putChunk({ uploadId: oldId, organisationId: staff.user.organisation.id, index: i, data: c });
    await completeUpload({ uploadId: oldId, organisationId: staff.user.organisation.id, actorId: staff.user.id });
    // someone loses HA1.cardiology: it moves to key version 2
    const researcher = await personWithKeys(admin.id, "RESEARCHER", [ids["HA1.cardiology"]]);
    await revokeAttribute({ adminId: admin.id, userId: researcher.user.id, attributeId: ids["HA1.cardiology"], reason: "left" });
    const listed = (await listUploads(staff.user.organisation.id, await allCurrentVersions())).find((u) => u.id === oldId)!;
    expect(listed.outdated).toEqual([{ attribute: "HA1.cardiology", version: 1, current: 2 }]);
    // the owner re-encrypts from the source: the new copy replaces the old one when stored
    const again = await prepare(staff, "HA1.researcher AND HA1.cardiology");
    expect(again.body.keyVersions).toEqual({ "HA1.researcher": 1, "HA1.cardiology": 2 });
    const { id: newId } = await startUpload(staff.user, { ...again.body, replaces: oldId });
    for (const [i, c] of again.chunks.entries()) await putChunk({ uploadId: newId, organisationId: staff.user.organisation.id, index: i, data: c });
    await completeUpload({ uploadId: newId, organisationId: staff.user.organisation.id, actorId: staff.user.id });
    expect(await db().upload.count({ where: { id: oldId } })).toBe(0);
    expect((await listUploads(staff.user.organisation.id, await allCurrentVersions())).find((u) => u.id === newId)!.outdated).toEqual([]);
    expect(await db().cspAuditEntry.count({ where: { action: "UPLOAD_REPLACED", subjectId: oldId } })).toBe(1);
  });

  it("finds an organisation's earlier upload of the same file by its salted digest, and says a stored upload has no clustering data", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(patients));
    const digest = await sourceDigest(staff.user.organisation.id, bytes);
    expect(await uploadsByDigest(staff.user.organisation.id, digest)).toEqual([]);
    const { chunks, body } = await prepare(staff, "HA1.researcher");
    const { id } = await startUpload(staff.user, { ...body, sourceDigest: digest });
    for (const [i, c] of chunks.entries()) await putChunk({ uploadId: id, organisationId: staff.user.organisation.id, index: i, data: c });
    await completeUpload({ uploadId: id, organisationId: staff.user.organisation.id, actorId: staff.user.id });
    expect(await uploadsByDigest(staff.user.organisation.id, digest)).toEqual([
      expect.objectContaining({ id, status: "STORED", recordCount: patients.length }),
    ]);
    // another organisation's digest of the same bytes differs, and it cannot look up this one's
    const other = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
    expect(await sourceDigest(other.user.organisation.id, bytes)).not.toBe(digest);
    expect(await uploadsByDigest(other.user.organisation.id, digest)).toEqual([]);
    // no tensors were sent: /hospital and the clustering picker say so
    expect((await listUploads(staff.user.organisation.id)).find((u) => u.id === id)!.clustering).toEqual({ status: "none" });
    expect((await uploadsWithoutFeatures()).find((u) => u.id === id)?.reason).toMatch(/sent no encrypted clustering tensors/);
  });

  it("holds no plaintext value of the uploaded records anywhere", async () => {
    const needles = patients.flatMap((p) => [
      { name: p.id, text: p.id },
      { name: p.note, text: p.note },
      { name: String(p.glucose), text: String(p.glucose) },
    ]);
    const hits = await scanDatabase(database.url(), needles);
    expect(hits, JSON.stringify(hits)).toEqual([]);
    expect(await verifyChain(db())).toMatchObject({ ok: true });
  });
});
