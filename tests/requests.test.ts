import { beforeAll, describe, expect, it } from "vitest";
import {
  absSign,
  AbeError,
  decodeAbsSignature,
  decodeEnvelope,
  decodePartialDecryption,
  decodeRecordCiphertext,
  encodeAbsSignature,
  encodeTransformKey,
  envelopeDigest,
  finishDecrypt,
  makeTransformKey,
  openRecord,
  parsePolicy,
  policyAttributes,
  setupGlobal,
} from "@/lib/abe";
import { currentVersions, vksFor } from "@/lib/authority/catalogue";
import { storeTransformKey } from "@/lib/authority/transform";
import { recordRequestOutcome } from "@/lib/authority/outcomes";
import { listRequestsForAdmin } from "@/lib/authority/requests";
import { askRenewal, renewGrant, requestsForHospital, withdrawGrant } from "@/lib/portal/grants";
import { requestData } from "@/lib/csp/requests";
import { db } from "@/lib/db/client";
import { verifyChain } from "@/lib/ledger/verify";
import { checkUploadInLog } from "@/lib/ledger/check-upload";
import { logPublicKey } from "@/lib/ledger/log-keys";
import { toHex } from "@/lib/ledger/merkle";
import { treeRoot } from "@/lib/ledger/tree";
import { cspCall } from "@/lib/parties/csp-client";
import { openRequest, submitRequestSignature } from "@/lib/portal/requests";
import { requestSignatureMessage, tokenHash } from "@/lib/requests/protocol";
import { checkServedRecords, releaseDigest } from "@/lib/requests/release";
import { randomUUID } from "node:crypto";
import { withFreshDatabase } from "./helpers/db";
import { makeCatalogue, personWithKeys } from "./helpers/authority";
import { scanDatabase } from "./helpers/scan";
import { uploadRows } from "./helpers/upload";
import { makeUser } from "./helpers/users";

const database = withFreshDatabase();
const pp = setupGlobal();
type Person = Awaited<ReturnType<typeof personWithKeys>>;

const cardiac = Array.from({ length: 12 }, (_, i) => ({ patient: `C-${i}-7731`, troponin: Number((0.0412 + i * 0.0137).toFixed(4)), ef: 35 + i }));
const oncology = Array.from({ length: 5 }, (_, i) => ({ patient: `O-${i}-5521`, marker: 11.23 + i }));

/** The researcher's browser: make and store a transform key, keeping z. */
async function withTransformKey(p: Person) {
  const { tk, secret } = makeTransformKey({ gid: p.user.gid, keys: p.keys });
  await storeTransformKey(p.user, encodeTransformKey(tk), p.versions);
  return secret;
}

/** The researcher's browser: sign the request statement under the request's policy. */
async function sign(p: Person, req: Awaited<ReturnType<typeof openRequest>>, signedAt = new Date().toISOString(), token = req.token) {
  const statement = {
    requestId: req.requestId,
    targetType: req.targetType,
    targetId: req.targetId,
    nonce: req.nonce,
    issuedAt: req.issuedAt,
    tokenHash: tokenHash(token),
    signedAt,
  };
  // every attribute of the policy at its current version (simulated branches need their VKs too)
  const { versions } = await currentVersions(policyAttributes(parsePolicy(req.absPolicy)));
  const signature = absSign({ message: requestSignatureMessage(statement), policy: req.absPolicy, gid: p.user.gid, keys: p.keys, vks: await vksFor(versions) });
  return { requestId: req.requestId, token, signature: encodeAbsSignature(signature), signatureVersions: versions, signedAt };
}

describe("researcher requests: ABS verification, outsourced decryption", () => {
  let alice: Person, bob: Person;
  let cardiacUpload = "",
    oncologyUpload = "";
  let staff: Person;

  beforeAll(async () => {
    const admin = await makeUser("AUTHORITY_ADMIN");
    const ids = {
      ...(await makeCatalogue(admin.id, "SRC", ["hospital"])),
      ...(await makeCatalogue(admin.id, "HA1", ["researcher", "cardiology", "oncology"])),
    };
    staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
    cardiacUpload = await uploadRows(staff, "HA1.researcher AND HA1.cardiology", cardiac, "SRC.hospital");
    oncologyUpload = await uploadRows(staff, "HA1.researcher AND HA1.oncology", oncology, "SRC.hospital");
    alice = await personWithKeys(admin.id, "RESEARCHER", [ids["HA1.researcher"], ids["HA1.cardiology"]]);
    bob = await personWithKeys(admin.id, "RESEARCHER", [ids["HA1.researcher"], ids["HA1.oncology"]]);
  });

  it("decrypts, after a verified signature, exactly the records the researcher's attributes open", async () => {
    const z = await withTransformKey(alice);
    const req = await openRequest(alice.user, { uploadIds: [cardiacUpload, oncologyUpload], purpose: "heart failure study" });
    expect(req.absPolicy).toBe("(HA1.researcher AND HA1.cardiology) OR (HA1.researcher AND HA1.oncology)");
    const result = await submitRequestSignature(alice.user, await sign(alice, req));
    expect(result).toContainEqual({ uploadId: cardiacUpload, opened: true, missing: [] });
    expect(result).toContainEqual({ uploadId: oncologyUpload, opened: false, missing: ["HA1.oncology"] });

    const data = await requestData(req.requestId);
    const item = data.find((d) => d.uploadId === cardiacUpload)!;
    const env = decodeEnvelope(Buffer.from(item.envelope, "base64"));
    const pd = decodePartialDecryption(Buffer.from(item.partialDecryption!, "base64"));
    const { batchKey } = finishDecrypt(pp, env, pd, z);
    const rows = item.records.map((r) =>
      JSON.parse(new TextDecoder().decode(openRecord(batchKey, { index: r.index, id: r.id, ct: Buffer.from(r.ct, "base64") }))),
    );
    expect(rows).toEqual(cardiac);
    expect(data.find((d) => d.uploadId === oncologyUpload)!.records).toEqual([]);

    // the stored partial decryption is useless without z
    expect(() => finishDecrypt(pp, env, pd, { ...z, z: z.z + 1n })).toThrow(AbeError);
    void decodeRecordCiphertext;
  });

  it("a cluster request releases only the cluster's records, each with a verifying proof, and the audit says which", async () => {
    const z = await withTransformKey(alice);
    const cluster = [2, 5, 7, 11];
    const req = await cspCall(
      "requests.create",
      {
        requestId: randomUUID(),
        purpose: "one cluster only",
        uploadIds: [cardiacUpload],
        cluster: { runId: randomUUID(), cluster: 1, indices: { [cardiacUpload]: cluster } },
      },
      { org: alice.user.organisation.id, sub: alice.user.id },
    );
    expect(await submitRequestSignature(alice.user, await sign(alice, req))).toEqual([{ uploadId: cardiacUpload, opened: true, missing: [] }]);

    const [item] = await cspCall("requests.data", { requestId: req.requestId, token: req.token }, { sub: alice.user.id });
    // exactly the cluster's ciphertexts left the CSP, each with its proof against the envelope's root
    expect(item.records.map((r) => r.index)).toEqual(cluster);
    const env = decodeEnvelope(Buffer.from(item.envelope, "base64"));
    const served = item.records.map((r) => ({
      index: r.index,
      id: r.id,
      ct: Buffer.from(r.ct, "base64"),
      proof: r.proof && { ...r.proof, path: r.proof.path.map((p) => Buffer.from(p, "base64")) },
    }));
    expect(served.every((r) => r.proof && r.proof.count === cardiac.length)).toBe(true);
    const checked = checkServedRecords(env, served, cluster);
    const { batchKey } = finishDecrypt(pp, env, decodePartialDecryption(Buffer.from(item.partialDecryption!, "base64")), z);
    expect(checked.map((r) => JSON.parse(new TextDecoder().decode(openRecord(batchKey, r))))).toEqual(cluster.map((i) => cardiac[i]));

    // the answer proves the upload is in the CSP's log as this envelope (what the researcher's browser checks)
    const cspLogKey = logPublicKey("csp")!;
    const expectedEntry = { uploadId: cardiacUpload, digest: toHex(envelopeDigest(env)), recordsRoot: toHex(env.recordsRoot) };
    expect(item.log).not.toBeNull();
    expect(checkUploadInLog(item.log!, cspLogKey, expectedEntry)).toMatchObject({ ok: true });
    expect(checkUploadInLog(item.log!, cspLogKey, { ...expectedEntry, digest: "00".repeat(32) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/another envelope digest/),
    });
    expect(checkUploadInLog(item.log!, logPublicKey("authority")!, expectedEntry)).toMatchObject({ ok: false, reason: expect.stringMatching(/not signed/) });
    // a head the browser kept earlier: the answer carries the consistency proof from it, and a forked kept head is refused
    const keptSize = item.log!.sth.size - 1;
    const [later] = await cspCall("requests.data", { requestId: req.requestId, token: req.token, since: keptSize }, { sub: alice.user.id });
    const keptRoot = await treeRoot(db(), "csp", keptSize);
    expect(later.log!.consistency?.first).toBe(keptSize);
    expect(checkUploadInLog(later.log!, cspLogKey, expectedEntry, { size: keptSize, root: keptRoot })).toMatchObject({ ok: true });
    expect(checkUploadInLog(later.log!, cspLogKey, expectedEntry, { size: keptSize, root: "ab".repeat(32) })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/fork/),
    });

    const released = releaseDigest(cluster.map((i) => `${cardiacUpload}:${i}`));
    const cspRelease = await db().cspAuditEntry.findFirstOrThrow({ where: { action: "CIPHERTEXTS_RELEASED", subjectId: req.requestId } });
    expect(cspRelease.data).toMatchObject({ records: 4, recordsDigest: released.digest });
    const cspPd = await db().cspAuditEntry.findFirstOrThrow({ where: { action: "PARTIAL_DECRYPTION", subjectId: req.requestId } });
    expect(cspPd.data).toMatchObject({ records: 4, recordsDigest: released.digest });
    const authorityPd = await db().auditEntry.findFirstOrThrow({ where: { action: "PARTIAL_DECRYPTION", subjectId: req.requestId } });
    expect(authorityPd.data).toMatchObject({ records: 4, recordsDigest: released.digest, opened: [cardiacUpload] });

    // a whole-upload request of the same data releases all of it, and its digest differs
    const whole = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "the whole upload" });
    await submitRequestSignature(alice.user, await sign(alice, whole));
    expect((await cspCall("requests.data", { requestId: whole.requestId, token: whole.token }, { sub: alice.user.id }))[0].records).toHaveLength(
      cardiac.length,
    );
    const wholeRelease = await db().cspAuditEntry.findFirstOrThrow({ where: { action: "CIPHERTEXTS_RELEASED", subjectId: whole.requestId } });
    expect(wholeRelease.data).toMatchObject({ records: cardiac.length, recordsDigest: releaseDigest(cardiac.map((_, i) => `${cardiacUpload}:${i}`)).digest });
  });

  it("refuses a replayed signature and audits it", async () => {
    const req = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "replay check" });
    const signed = await sign(alice, req);
    await submitRequestSignature(alice.user, signed);
    await expect(submitRequestSignature(alice.user, signed)).rejects.toThrow(/replayed/);
  });

  it("refuses a forged or tampered signature, and one for another request", async () => {
    const req = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "forgery check" });
    const good = await sign(alice, req);
    const tampered = new Uint8Array(good.signature);
    tampered[tampered.length - 20] ^= 0x01;
    await expect(submitRequestSignature(alice.user, { ...good, signature: tampered })).rejects.toThrow(/refused/);
    // a valid signature of another request
    const other = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "other" });
    const otherSigned = await sign(alice, other);
    await expect(submitRequestSignature(alice.user, { ...good, signature: otherSigned.signature })).rejects.toThrow(/does not verify/);
    // a signature "simulated" without keys: random responses
    const sig = decodeAbsSignature(good.signature);
    const forged = encodeAbsSignature({ ...sig, c: sig.c.map((c) => c + 1n) });
    await expect(submitRequestSignature(alice.user, { ...good, signature: forged })).rejects.toThrow(/refused/);
    const rejections = await db().absVerification.count({ where: { requestId: req.requestId, ok: false } });
    expect(rejections).toBe(3);
    expect(await db().auditEntry.count({ where: { action: "ABS_REJECTED", subjectId: req.requestId } })).toBe(3);
  });

  it("refuses an expired signature", async () => {
    const req = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "expiry check" });
    const old = await sign(alice, req, new Date(Date.now() - 60 * 60_000).toISOString());
    await expect(submitRequestSignature(alice.user, old)).rejects.toThrow(/expired/);
  });

  it("a researcher without the attributes cannot sign, and gets no partial decryption", async () => {
    const req = await openRequest(bob.user, { uploadIds: [cardiacUpload], purpose: "not allowed" });
    await expect(sign(bob, req)).rejects.toMatchObject({ code: "POLICY_UNSATISFIED" });
    expect(await db().accessRequestUpload.count({ where: { requestId: req.requestId, NOT: { partialDecryption: null } } })).toBe(0);
  });

  it("another researcher cannot use someone else's request token", async () => {
    const req = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "token theft" });
    await withTransformKey(bob);
    const bobSigned = await sign(bob, { ...req, absPolicy: "HA1.researcher" }).catch(() => null);
    const stolen = { ...(bobSigned ?? (await sign(alice, req))), requestId: req.requestId, token: req.token };
    await expect(submitRequestSignature(bob.user, stolen)).rejects.toThrow(/belongs to someone else/);
    await expect(submitRequestSignature(alice.user, { ...(await sign(alice, req)), token: "not-the-token" })).rejects.toThrow(/does not belong/);
  });

  it("the CSP serves a request's data only to its requester, with its token, once verified", async () => {
    const req = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "data route check" });
    const asAlice = { requestId: req.requestId, token: req.token };
    await expect(cspCall("requests.data", asAlice, { sub: alice.user.id })).rejects.toThrow(/not been verified yet/);
    await submitRequestSignature(alice.user, await sign(alice, req));
    await expect(cspCall("requests.data", asAlice, { sub: bob.user.id })).rejects.toThrow(/belongs to someone else/);
    await expect(cspCall("requests.data", { ...asAlice, token: "not-the-token" }, { sub: alice.user.id })).rejects.toThrow(/does not belong/);
    await expect(cspCall("requests.get", { requestId: req.requestId }, { sub: bob.user.id })).rejects.toThrow(/No such request/);
    expect((await cspCall("requests.data", asAlice, { sub: alice.user.id })).map((u) => u.uploadId)).toEqual([cardiacUpload]);
  });

  it("an expired grant is refused by the CSP itself: no ciphertexts, no partial decryption; refusals audited; the owner can renew", async () => {
    await withTransformKey(alice);
    const req = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "grant expiry check", periodDays: 7 });
    const asAlice = { requestId: req.requestId, token: req.token };
    await submitRequestSignature(alice.user, await sign(alice, req));
    const granted = await db().accessRequest.findUniqueOrThrow({ where: { id: req.requestId } });
    expect(granted.periodDays).toBe(7);
    expect(Math.abs(granted.expiresAt!.getTime() - granted.decidedAt!.getTime() - 7 * 86_400_000)).toBeLessThan(1000);
    expect((await cspCall("requests.data", asAlice, { sub: alice.user.id }))[0].records).toHaveLength(cardiac.length);

    // the grant's end passes: the CSP refuses on its own stored expiry
    await db().accessRequest.update({ where: { id: req.requestId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const releasedBefore = await db().cspAuditEntry.count({ where: { action: "CIPHERTEXTS_RELEASED", subjectId: req.requestId } });
    await expect(cspCall("requests.data", asAlice, { sub: alice.user.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/expired/),
    });
    expect(await db().cspAuditEntry.count({ where: { action: "CIPHERTEXTS_RELEASED", subjectId: req.requestId } })).toBe(releasedBefore);
    const refusal = await db().cspAuditEntry.findFirstOrThrow({ where: { action: "GRANT_REFUSED", subjectId: req.requestId } });
    expect(refusal.data).toMatchObject({ reason: "expired", refused: "ciphertexts" });
    expect((await requestsForHospital(staff.user)).find((r) => r.id === req.requestId)).toMatchObject({ expired: true });
    // the expiry itself is in the CSP's log, once, before the refusal it caused
    const expiredEntries = () => db().cspAuditEntry.findMany({ where: { action: "GRANT_EXPIRED", subjectId: req.requestId }, orderBy: { seq: "asc" } });
    const [expiry] = await expiredEntries();
    expect(expiry.data).toMatchObject({ expiredAt: expect.any(String), periodDays: 7 });
    expect(expiry.seq).toBeLessThan(refusal.seq);
    await requestsForHospital(staff.user);
    expect(await expiredEntries()).toHaveLength(1);

    // a request whose period ran out before it was signed gets no partial decryption either
    const late = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "expired before the partial decryption" });
    await db().accessRequest.update({ where: { id: late.requestId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await expect(submitRequestSignature(alice.user, await sign(alice, late))).rejects.toThrow(/expired/);
    expect(await db().accessRequestUpload.count({ where: { requestId: late.requestId, NOT: { partialDecryption: null } } })).toBe(0);
    expect(await db().cspAuditEntry.findFirstOrThrow({ where: { action: "GRANT_REFUSED", subjectId: late.requestId } })).toMatchObject({
      data: { reason: "expired", refused: "partial decryption" },
    });

    // the researcher asks for a renewal; only the owner's staff can renew; then the CSP serves again
    await askRenewal(alice.user, req.requestId);
    expect(await db().cspAuditEntry.count({ where: { action: "GRANT_RENEWAL_ASKED", subjectId: req.requestId } })).toBe(1);
    await expect(renewGrant(bob.user, req.requestId)).rejects.toThrow(/No request for your organisation/);
    await renewGrant(staff.user, req.requestId);
    expect(await db().auditEntry.count({ where: { action: "GRANT_RENEWED", subjectId: req.requestId } })).toBe(1);
    expect((await cspCall("requests.data", asAlice, { sub: alice.user.id }))[0].records).toHaveLength(cardiac.length);
    // the renewed grant's own expiry is logged when it passes; the request never signed has no grant to expire
    await db().accessRequest.update({ where: { id: req.requestId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await requestsForHospital(staff.user);
    expect(await expiredEntries()).toHaveLength(2);
    expect(await db().cspAuditEntry.count({ where: { action: "GRANT_EXPIRED", subjectId: late.requestId } })).toBe(0);
  });

  it("the owner withdraws a grant at once; another organisation cannot; both logs record it", async () => {
    await withTransformKey(alice);
    const req = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "withdrawal check" });
    const asAlice = { requestId: req.requestId, token: req.token };
    await submitRequestSignature(alice.user, await sign(alice, req));
    await expect(withdrawGrant(bob.user, { requestId: req.requestId, reason: "not ours" })).rejects.toThrow(/No request for your organisation/);
    expect(await db().accessRequest.findUniqueOrThrow({ where: { id: req.requestId } })).toMatchObject({ withdrawnAt: null });
    await withdrawGrant(staff.user, { requestId: req.requestId, reason: "consent withdrawn" });
    await expect(cspCall("requests.data", asAlice, { sub: alice.user.id })).rejects.toThrow(/withdrew this grant/);
    expect(await db().cspAuditEntry.findFirstOrThrow({ where: { action: "GRANT_WITHDRAWN", subjectId: req.requestId } })).toMatchObject({
      data: { reason: "consent withdrawn" },
    });
    expect(await db().auditEntry.count({ where: { action: "GRANT_WITHDRAWN", subjectId: req.requestId } })).toBe(1);
    expect(await db().cspAuditEntry.findFirstOrThrow({ where: { action: "GRANT_REFUSED", subjectId: req.requestId } })).toMatchObject({
      data: { reason: "withdrawn" },
    });
    // withdrawing again changes nothing; a withdrawn grant cannot be renewed or asked to be
    await withdrawGrant(staff.user, { requestId: req.requestId, reason: "again" });
    expect(await db().auditEntry.count({ where: { action: "GRANT_WITHDRAWN", subjectId: req.requestId } })).toBe(1);
    await expect(renewGrant(staff.user, req.requestId)).rejects.toThrow(/withdrawn/);
    await expect(askRenewal(alice.user, req.requestId)).rejects.toThrow(/withdrew/);
    const listed = (await requestsForHospital(staff.user)).find((r) => r.id === req.requestId);
    expect(listed).toMatchObject({ withdrawReason: "consent withdrawn", state: { label: "withdrawn by the owner" } });
  });

  it("outcomes: decrypted, refused or failed as the browser reports, once; an unsigned request ends as failed", async () => {
    const admin = { role: "AUTHORITY_ADMIN" as const };
    await withTransformKey(alice);
    const done = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "outcome decrypted" });
    await submitRequestSignature(alice.user, await sign(alice, done));
    const refused = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "outcome refused" });
    await submitRequestSignature(alice.user, await sign(alice, refused));
    const unsigned = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "outcome never signed" });
    const pending = await openRequest(alice.user, { uploadIds: [cardiacUpload], purpose: "outcome pending" });
    await db().accessRequest.update({ where: { id: unsigned.requestId }, data: { createdAt: new Date(Date.now() - 16 * 60_000) } });

    await expect(recordRequestOutcome(bob.user.id, { requestId: done.requestId, outcome: "failed" })).rejects.toThrow(/No such request/);
    expect(await recordRequestOutcome(alice.user.id, { requestId: done.requestId, outcome: "decrypted" })).toEqual({ recorded: true, outcome: "decrypted" });
    expect(await recordRequestOutcome(alice.user.id, { requestId: done.requestId, outcome: "failed" })).toEqual({ recorded: false, outcome: "decrypted" });
    await recordRequestOutcome(alice.user.id, { requestId: refused.requestId, outcome: "refused", detail: "INTEGRITY: proof" });
    expect(await db().auditEntry.count({ where: { action: "REQUEST_OUTCOME", subjectId: { in: [done.requestId, refused.requestId] } } })).toBe(2);

    const rows = await listRequestsForAdmin(admin);
    const state = (id: string) => rows.find((r) => r.id === id)!.state;
    expect(state(done.requestId)).toMatchObject({ label: "decrypted", completedAt: expect.any(String) });
    expect(state(refused.requestId)).toMatchObject({ label: "refused", detail: "INTEGRITY: proof" });
    expect(state(unsigned.requestId)).toMatchObject({ label: "failed", detail: "not signed in time", completedAt: expect.any(String) });
    expect(state(pending.requestId)).toMatchObject({ label: "awaiting signature", completedAt: null });
  });

  it("the CSP's tables hold no plaintext value, and the audit chain is intact", async () => {
    const needles = [
      ...cardiac.map((r) => ({ name: r.patient, text: r.patient })),
      ...cardiac.map((r) => ({ name: String(r.troponin), text: String(r.troponin) })),
      ...oncology.map((r) => ({ name: r.patient, text: r.patient })),
    ];
    const hits = await scanDatabase(database.url(), needles);
    expect(hits, JSON.stringify(hits)).toEqual([]);
    expect(await verifyChain(db())).toMatchObject({ ok: true });
  });
});
