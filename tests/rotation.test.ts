import { beforeAll, describe, expect, it } from "vitest";
import {
  absSign,
  decodeEnvelope,
  decodePartialDecryption,
  encodeAbsSignature,
  finishDecrypt,
  openRecord,
  parsePolicy,
  policyAttributes,
  setupGlobal,
} from "@/lib/abe";
import { currentVersions, listPublicKeys, vksFor } from "@/lib/authority/catalogue";
import { myKeyMaterial, revokeAttribute, setWrapPublicKey } from "@/lib/authority/keys";
import { storeTransformKeys } from "@/lib/authority/transform";
import { requestData } from "@/lib/csp/requests";
import { db } from "@/lib/db/client";
import { absorbIssuedKeys, createTransformKey, transformOutOfDate, transformSecret, userKeys, vkIndex } from "@/lib/keystore/operations";
import type { KeystoreContents } from "@/lib/keystore/sealed";
import { newKeystore } from "@/lib/keystore/operations";
import { openRequest, submitRequestSignature } from "@/lib/portal/requests";
import { requestSignatureMessage, requestStatement } from "@/lib/requests/protocol";
import { grantAttributesNow } from "@/lib/authority/keys";
import type { SessionUser } from "@/lib/auth/session";
import { withFreshDatabase } from "./helpers/db";
import { makeCatalogue, personWithKeys } from "./helpers/authority";
import { uploadRows } from "./helpers/upload";
import { makeUser } from "./helpers/users";

withFreshDatabase();
const pp = setupGlobal();

/** A researcher whose keys live in a real key store (lib/keystore, the browser's code). */
type Holder = { user: SessionUser; contents: KeystoreContents };

async function holder(adminId: string, attributeIds: string[]): Promise<Holder> {
  const u = await makeUser("RESEARCHER");
  const full = await db().user.findUniqueOrThrow({ where: { id: u.id }, include: { organisation: true } });
  const contents = newKeystore(full.gid);
  await setWrapPublicKey(u.id, Buffer.from(contents.wrapPublicKey, "base64"));
  await grantAttributesNow({ adminId, userId: u.id, attributeIds });
  const user: SessionUser = {
    id: full.id,
    email: full.email,
    name: full.name,
    gid: full.gid,
    role: full.role,
    status: full.status,
    decisionReason: null,
    organisation: { id: full.organisation.id, name: full.organisation.name, kind: full.organisation.kind },
    sessionId: "00000000-0000-4000-8000-000000000000",
    keyStoreReplaced: null,
  };
  return sync({ user, contents });
}

/** What unlocking the key store does in the browser: take in issued keys, drop revoked ones. */
async function sync(h: Holder): Promise<Holder> {
  const material = await myKeyMaterial(h.user.id);
  const { contents } = absorbIssuedKeys(h.contents, material.keys, vkIndex(await listPublicKeys()));
  return { ...h, contents };
}

/** "Create / refresh transform key" on /keys: made in the browser, stored with the authority. */
async function refreshTk(h: Holder): Promise<Holder> {
  const made = createTransformKey(h.contents);
  await storeTransformKeys(
    h.user,
    made.layers.map((l) => ({ tk: Buffer.from(l.tk, "base64"), keyVersions: l.keyVersions })),
  );
  return { ...h, contents: made.contents };
}

/** Request the uploads, sign with current-version keys (as the request flow does), decrypt what opens. */
async function read(h: Holder, uploadIds: string[]) {
  const req = await openRequest(h.user, { uploadIds, purpose: "rotation study" });
  const signedAt = new Date().toISOString();
  const statement = requestStatement(req, signedAt);
  const { versions } = await currentVersions(policyAttributes(parsePolicy(req.absPolicy)));
  const keys = userKeys(h.contents, versions);
  const signature = absSign({
    message: requestSignatureMessage(statement),
    policy: req.absPolicy,
    gid: h.user.gid,
    keys: keys.keys,
    vks: await vksFor(versions),
  });
  const answer = await submitRequestSignature(h.user, {
    requestId: req.requestId,
    token: req.token,
    signature: encodeAbsSignature(signature),
    signatureVersions: versions,
    signedAt,
  });
  const z = transformSecret(h.contents)!;
  const data = await requestData(req.requestId);
  const rows: Record<string, unknown[]> = {};
  for (const item of data) {
    if (!item.partialDecryption) continue;
    const { batchKey } = finishDecrypt(
      pp,
      decodeEnvelope(Buffer.from(item.envelope, "base64")),
      decodePartialDecryption(Buffer.from(item.partialDecryption, "base64")),
      z,
    );
    rows[item.uploadId] = item.records.map((r) =>
      JSON.parse(new TextDecoder().decode(openRecord(batchKey, { index: r.index, id: r.id, ct: Buffer.from(r.ct, "base64") }))),
    );
  }
  return { answer, rows };
}

describe("issue #15: a rotation does not lock out the attribute's other holders", () => {
  const before = [
    { patient: "A-1", troponin: 0.041 },
    { patient: "A-2", troponin: 0.093 },
  ];
  const after = [{ patient: "B-1", troponin: 0.112 }];
  let adminId = "";
  let ids: Record<string, string> = {};
  let staff: Awaited<ReturnType<typeof personWithKeys>>;
  let h1: Holder, h2: Holder;
  let uploadA = "",
    uploadB = "";

  beforeAll(async () => {
    adminId = (await makeUser("AUTHORITY_ADMIN")).id;
    ids = { ...(await makeCatalogue(adminId, "SRC", ["hospital"])), ...(await makeCatalogue(adminId, "HA1", ["researcher", "cardiology"])) };
    staff = await personWithKeys(adminId, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
    h1 = await refreshTk(await holder(adminId, [ids["HA1.researcher"], ids["HA1.cardiology"]]));
    h2 = await refreshTk(await holder(adminId, [ids["HA1.researcher"], ids["HA1.cardiology"]]));
    uploadA = await uploadRows(staff, "HA1.researcher AND HA1.cardiology", before, "SRC.hospital");
  });

  it("after HA1.cardiology is revoked from one holder, the other reads both the version-1 and the version-2 upload", async () => {
    expect((await read(h2, [uploadA])).rows[uploadA]).toEqual(before);
    await revokeAttribute({ adminId, userId: h1.user.id, attributeId: ids["HA1.cardiology"], reason: "left the study" });
    uploadB = await uploadRows(staff, "HA1.researcher AND HA1.cardiology", after, "SRC.hospital");
    const up = await db().upload.findUniqueOrThrow({ where: { id: uploadB }, select: { keyVersions: true } });
    expect(up.keyVersions).toMatchObject({ "HA1.cardiology": 2 });

    // holder 2's browser takes in the version-2 key; until its transform key covers it, the CSP
    // says exactly which version is missing (and the old upload still opens)
    h2 = await sync(h2);
    expect(Object.keys(h2.contents.keys).sort()).toEqual(["HA1.cardiology@1", "HA1.cardiology@2", "HA1.researcher@1"]);
    const material = await myKeyMaterial(h2.user.id);
    expect(material.transformKey?.covers).toEqual(["HA1.cardiology@1", "HA1.researcher@1"]);
    expect(transformOutOfDate(h2.contents, material.transformKey!.covers)).toBe(true);
    const stale = await read(h2, [uploadA, uploadB]);
    expect(stale.answer).toEqual(
      expect.arrayContaining([
        { uploadId: uploadA, opened: true, missing: [] },
        { uploadId: uploadB, opened: false, missing: ["HA1.cardiology at key version 2"] },
      ]),
    );
    expect(stale.rows[uploadA]).toEqual(before);

    // the refresh (done on unlock) keeps z and covers both versions, in two layers
    const z = transformSecret(h2.contents)!.z;
    h2 = await refreshTk(h2);
    expect(transformSecret(h2.contents)!.z).toBe(z);
    const layers = await db().transformKey.findMany({ where: { userId: h2.user.id }, orderBy: { layer: "asc" } });
    expect(layers.map((l) => l.keyVersions)).toEqual([{ "HA1.cardiology": 2, "HA1.researcher": 1 }, { "HA1.cardiology": 1 }]);
    expect(transformOutOfDate(h2.contents, (await myKeyMaterial(h2.user.id)).transformKey!.covers)).toBe(false);
    const stored = await db().auditEntry.findFirst({ where: { action: "TRANSFORM_KEY_STORED", subjectId: h2.user.id }, orderBy: { seq: "desc" } });
    expect((stored?.data as { covers?: string[] }).covers).toEqual(["HA1.cardiology@1", "HA1.cardiology@2", "HA1.researcher@1"]);
    const both = await read(h2, [uploadA, uploadB]);
    expect(both.answer).toEqual(
      expect.arrayContaining([
        { uploadId: uploadA, opened: true, missing: [] },
        { uploadId: uploadB, opened: true, missing: [] },
      ]),
    );
    expect(both.rows[uploadA]).toEqual(before);
    expect(both.rows[uploadB]).toEqual(after);
  });

  it("the authority refuses a transform key covering a version twice, or a version the person does not hold", async () => {
    const made = createTransformKey(h2.contents);
    const bytes = made.layers.map((l) => ({ tk: Buffer.from(l.tk, "base64"), keyVersions: l.keyVersions }));
    await expect(storeTransformKeys(h2.user, [bytes[0], bytes[0]])).rejects.toThrow(/twice/);
    await expect(storeTransformKeys(h2.user, [{ tk: bytes[1].tk, keyVersions: { "HA1.cardiology": 3 } }])).rejects.toThrow(/do not hold HA1.cardiology/);
    await expect(storeTransformKeys(h2.user, [])).rejects.toThrow(/1 to 16 layers/);
    // nothing changed: both layers are still there
    expect(await db().transformKey.count({ where: { userId: h2.user.id } })).toBe(2);
  });

  it("the revoked holder's browser drops the attribute's keys and cannot sign for either upload", async () => {
    h1 = await sync(h1);
    expect(Object.keys(h1.contents.keys)).toEqual(["HA1.researcher@1"]);
    await expect(read(h1, [uploadB])).rejects.toThrow(/HA1.cardiology/);
    expect(await db().transformKey.count({ where: { userId: h1.user.id } })).toBe(0);
  });
});
