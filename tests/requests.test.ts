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
  finishDecrypt,
  makeTransformKey,
  openRecord,
  parsePolicy,
  policyAttributes,
  setupGlobal,
} from "@/lib/abe";
import { currentVersions, vksFor } from "@/lib/authority/catalogue";
import { storeTransformKey } from "@/lib/authority/transform";
import { requestData } from "@/lib/csp/requests";
import { db } from "@/lib/db/client";
import { verifyChain } from "@/lib/ledger/verify";
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
  const statement = { requestId: req.requestId, targetType: req.targetType, targetId: req.targetId, nonce: req.nonce, issuedAt: req.issuedAt, tokenHash: tokenHash(token), signedAt };
  // every attribute of the policy at its current version (simulated branches need their VKs too)
  const { versions } = await currentVersions(policyAttributes(parsePolicy(req.absPolicy)));
  const signature = absSign({ message: requestSignatureMessage(statement), policy: req.absPolicy, gid: p.user.gid, keys: p.keys, vks: await vksFor(versions) });
  return { requestId: req.requestId, token, signature: encodeAbsSignature(signature), signatureVersions: versions, signedAt };
}

describe("researcher requests: ABS verification, outsourced decryption", () => {
  let alice: Person, bob: Person;
  let cardiacUpload = "", oncologyUpload = "";

  beforeAll(async () => {
    const admin = await makeUser("AUTHORITY_ADMIN");
    const ids = { ...(await makeCatalogue(admin.id, "SRC", ["hospital"])), ...(await makeCatalogue(admin.id, "HA1", ["researcher", "cardiology", "oncology"])) };
    const staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
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
    const rows = item.records.map((r) => JSON.parse(new TextDecoder().decode(openRecord(batchKey, { index: r.index, id: r.id, ct: Buffer.from(r.ct, "base64") }))));
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
      { requestId: randomUUID(), purpose: "one cluster only", uploadIds: [cardiacUpload], cluster: { runId: randomUUID(), cluster: 1, indices: { [cardiacUpload]: cluster } } },
      { org: alice.user.organisation.id, sub: alice.user.id },
    );
    expect(await submitRequestSignature(alice.user, await sign(alice, req))).toEqual([{ uploadId: cardiacUpload, opened: true, missing: [] }]);

    const [item] = await cspCall("requests.data", { requestId: req.requestId, token: req.token }, { sub: alice.user.id });
    // exactly the cluster's ciphertexts left the CSP, each with its proof against the envelope's root
    expect(item.records.map((r) => r.index)).toEqual(cluster);
    const env = decodeEnvelope(Buffer.from(item.envelope, "base64"));
    const served = item.records.map((r) => ({ index: r.index, id: r.id, ct: Buffer.from(r.ct, "base64"), proof: r.proof && { ...r.proof, path: r.proof.path.map((p) => Buffer.from(p, "base64")) } }));
    expect(served.every((r) => r.proof && r.proof.count === cardiac.length)).toBe(true);
    const checked = checkServedRecords(env, served, cluster);
    const { batchKey } = finishDecrypt(pp, env, decodePartialDecryption(Buffer.from(item.partialDecryption!, "base64")), z);
    expect(checked.map((r) => JSON.parse(new TextDecoder().decode(openRecord(batchKey, r))))).toEqual(cluster.map((i) => cardiac[i]));

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
    expect((await cspCall("requests.data", { requestId: whole.requestId, token: whole.token }, { sub: alice.user.id }))[0].records).toHaveLength(cardiac.length);
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

  it("the CSP's tables hold no plaintext value, and the audit chain is intact", async () => {
    const needles = [...cardiac.map((r) => ({ name: r.patient, text: r.patient })), ...cardiac.map((r) => ({ name: String(r.troponin), text: String(r.troponin) })), ...oncology.map((r) => ({ name: r.patient, text: r.patient }))];
    const hits = await scanDatabase(database.url(), needles);
    expect(hits, JSON.stringify(hits)).toEqual([]);
    expect(await verifyChain(db())).toMatchObject({ ok: true });
  });
});
