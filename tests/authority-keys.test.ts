import { beforeAll, describe, expect, it } from "vitest";
import {
  decodeAttributeSecret,
  decodeAttributeVk,
  decodeUserKeys,
  decrypt,
  encodeTransformKey,
  encrypt,
  generateWrapKeyPair,
  makeTransformKey,
  setupGlobal,
  unwrapKey,
  verifyUserKey,
  type G2,
} from "@/lib/abe";
import { encodeFr, encodeG2 } from "@/lib/abe/group";
import { createAttribute, createAuthority, listPublicKeys } from "@/lib/authority/catalogue";
import { grantAttributesNow, revokeAttribute, revokePerson, setWrapPublicKey } from "@/lib/authority/keys";
import { secretAad } from "@/lib/aa/schema";
import { unsealWith } from "@/lib/parties/seal";
import { releaseTransformKey, storeTransformKey } from "@/lib/authority/transform";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { sikWrapContext } from "@/lib/keystore/contexts";
import { verifyChain } from "@/lib/ledger/verify";
import { decideRegistration, register } from "@/lib/portal/registrations";
import { rawSql, withFreshDatabase } from "./helpers/db";
import { scanDatabase } from "./helpers/scan";
import { makeUser } from "./helpers/users";

const database = withFreshDatabase();
const pp = setupGlobal();

type Person = { id: string; gid: string; wrap: ReturnType<typeof generateWrapKeyPair> };

async function registerResearcher(gid: string, orgName: string): Promise<Person> {
  const wrap = generateWrapKeyPair(); // what the browser does at registration
  const { id } = await register({
    name: `Researcher ${gid}`,
    email: `${gid}@inst.example`,
    password: "a long enough password",
    gid,
    role: "RESEARCHER",
    newOrganisationName: orgName,
    wrapPublicKey: Buffer.from(wrap.publicKey).toString("base64"),
  });
  if (!id) throw new Error(`registration of ${gid} created no account`);
  return { id, gid, wrap };
}

/** What the person's browser does with its issued keys: unwrap and check each one. */
async function browserKeys(p: Person): Promise<Map<string, { version: number; K: G2 }>> {
  const issued = await db().issuedKey.findMany({ where: { userId: p.id, revokedAt: null }, include: { attribute: true } });
  const vks = await listPublicKeys();
  const out = new Map<string, { version: number; K: G2 }>();
  for (const k of issued) {
    const plain = unwrapKey(p.wrap.secretKey, k.wrappedKey, sikWrapContext(p.gid, k.attribute.name, k.version));
    const K = decodeUserKeys(plain).keys.get(k.attribute.name)!;
    const vk = decodeAttributeVk(Buffer.from(vks.find((v) => v.attribute === k.attribute.name && v.version === k.version)!.vk, "base64"));
    expect(verifyUserKey(vk, p.gid, K)).toBe(true);
    const prev = out.get(k.attribute.name);
    if (!prev || prev.version < k.version) out.set(k.attribute.name, { version: k.version, K });
  }
  return out;
}

async function currentVks() {
  return (await listPublicKeys()).filter((v) => v.current).map((v) => decodeAttributeVk(Buffer.from(v.vk, "base64")));
}

describe("authority: attributes, key issuance, transform keys, revocation", () => {
  let adminId = "";
  const attr: Record<string, string> = {};
  let alice: Person, bob: Person;
  const secretsSeen: Array<{ name: string; bytes: Uint8Array }> = [];

  beforeAll(async () => {
    adminId = (await makeUser("AUTHORITY_ADMIN")).id;
    const ha1 = await createAuthority(adminId, { code: "HA1", name: "Hospital Authority 1", description: "" });
    for (const n of ["researcher", "cardiology", "oncology"])
      attr[n] = (await createAttribute(adminId, { authorityId: ha1.id, localName: n, description: "" })).id;
    alice = await registerResearcher("alice.lab", "Lab A");
    bob = await registerResearcher("bob.lab", "Lab B");
  });

  it("the attribute authority seals master secrets in its own database; the registration authority keeps verification keys only", async () => {
    const ha1 = database.aas().find((a) => a.name === "HA1")!;
    const { rows } = await rawSql<{ attribute: string; version: number; sealed_secret: Buffer }>(
      ha1.ownerUrl,
      "SELECT attribute, version, sealed_secret FROM aa.key_versions WHERE attribute = 'HA1.cardiology'",
    );
    const secret = decodeAttributeSecret(unsealWith(ha1.kek, rows[0].sealed_secret, secretAad(rows[0].attribute, rows[0].version)));
    secretsSeen.push({ name: "alpha", bytes: encodeFr(secret.alpha) }, { name: "gamma", bytes: encodeFr(secret.gamma) });
    expect(() => unsealWith(ha1.kek, rows[0].sealed_secret, secretAad(rows[0].attribute, 2))).toThrow(); // bound to its row
    // another AA's key does not open it
    expect(() => unsealWith(database.aas().find((a) => a.name === "NRI")!.kek, rows[0].sealed_secret, secretAad(rows[0].attribute, 1))).toThrow();
    expect(await scanDatabase(database.url(), secretsSeen)).toEqual([]);
    expect(await scanDatabase(ha1.ownerUrl, secretsSeen)).toEqual([]);
    expect((await listPublicKeys()).map((k) => k.attribute)).toEqual(["HA1.cardiology", "HA1.oncology", "HA1.researcher"]);
  });

  it("issues keys with the approval, wrapped to the browser's public key", async () => {
    await decideRegistration(adminId, { userId: alice.id, decision: "APPROVE", attributeIds: [attr.researcher, attr.cardiology] });
    await decideRegistration(adminId, { userId: bob.id, decision: "APPROVE", attributeIds: [attr.researcher, attr.cardiology] });
    const keys = await browserKeys(alice);
    expect([...keys.keys()].sort()).toEqual(["HA1.cardiology", "HA1.researcher"]);
    for (const { K } of keys.values()) secretsSeen.push({ name: "alice SIK", bytes: encodeG2(K) });
    expect(await db().auditEntry.count({ where: { action: "KEY_ISSUED", subjectId: alice.id } })).toBe(2);
    // a wrapped key opens only with the right private key and context
    const k = await db().issuedKey.findFirstOrThrow({ where: { userId: alice.id }, include: { attribute: true } });
    expect(() => unwrapKey(bob.wrap.secretKey, k.wrappedKey, sikWrapContext(alice.gid, k.attribute.name, k.version))).toThrow();
    expect(() => unwrapKey(alice.wrap.secretKey, k.wrappedKey, sikWrapContext(bob.gid, k.attribute.name, k.version))).toThrow();
  });

  it("stores a transform key only when it is the person's own and covers held attributes", async () => {
    const keys = await browserKeys(alice);
    const uk = { gid: alice.gid, keys: new Map([...keys].map(([a, v]) => [a, v.K])) };
    const { tk, secret } = makeTransformKey(uk);
    secretsSeen.push({ name: "z", bytes: encodeFr(secret.z) });
    const versions = Object.fromEntries([...keys].map(([a, v]) => [a, v.version]));
    await expect(storeTransformKey({ id: bob.id, gid: bob.gid }, encodeTransformKey(tk), versions)).rejects.toThrow(/another person/);
    const foreign = makeTransformKey({ gid: alice.gid, keys: new Map([["HA1.oncology", uk.keys.get("HA1.cardiology")!]]) }).tk;
    await expect(storeTransformKey({ id: alice.id, gid: alice.gid }, encodeTransformKey(foreign), { "HA1.oncology": 1 })).rejects.toThrow(
      /do not hold HA1.oncology/,
    );
    await expect(storeTransformKey({ id: alice.id, gid: alice.gid }, new Uint8Array([1, 2, 3]), versions)).rejects.toBeInstanceOf(AppError);
    await storeTransformKey({ id: alice.id, gid: alice.gid }, encodeTransformKey(tk), versions);
    expect((await releaseTransformKey(alice.id)).layers.map((l) => l.keyVersions)).toEqual([versions]);
  });

  it("the database holds no unwrapped user key, no z and no master secret", async () => {
    expect(secretsSeen.length).toBeGreaterThanOrEqual(5);
    expect(await scanDatabase(database.url(), secretsSeen)).toEqual([]);
    // the scan does find what is there: the (public) wrapping key is stored
    expect(await scanDatabase(database.url(), [{ name: "wrap public key", bytes: alice.wrap.publicKey }])).toContainEqual({
      table: "portal.users",
      column: "wrap_public_key",
      needle: "wrap public key",
    });
  });

  it("revoking an attribute destroys the transform key and starts a new key version", async () => {
    const oldAlice = await browserKeys(alice);
    await revokeAttribute({ adminId, userId: alice.id, attributeId: attr.cardiology, reason: "left the cardiology study" });
    await expect(releaseTransformKey(alice.id)).rejects.toThrow(/no transform key/);
    expect(await db().auditEntry.count({ where: { action: "TRANSFORM_KEY_DESTROYED", subjectId: alice.id } })).toBe(1);

    // new uploads use version 2; alice's old version-1 key cannot open them, bob's new key can
    const vks = await currentVks();
    expect((await listPublicKeys()).find((k) => k.attribute === "HA1.cardiology" && k.current)?.version).toBe(2);
    const env = encrypt(pp, vks, "HA1.researcher AND HA1.cardiology", new TextEncoder().encode("after revocation"));
    const aliceOld = { gid: alice.gid, keys: new Map([...oldAlice].map(([a, v]) => [a, v.K])) };
    expect(() => decrypt(pp, vks, env, aliceOld)).toThrow();
    const bobKeys = await browserKeys(bob);
    expect(bobKeys.get("HA1.cardiology")?.version).toBe(2);
    const opened = decrypt(pp, vks, env, { gid: bob.gid, keys: new Map([...bobKeys].map(([a, v]) => [a, v.K])) });
    expect(new TextDecoder().decode(opened.payload)).toBe("after revocation");
  });

  it("revoking a person ends their access, keys and transform key at once", async () => {
    const keys = await browserKeys(bob);
    const { tk } = makeTransformKey({ gid: bob.gid, keys: new Map([...keys].map(([a, v]) => [a, v.K])) });
    await storeTransformKey({ id: bob.id, gid: bob.gid }, encodeTransformKey(tk), Object.fromEntries([...keys].map(([a, v]) => [a, v.version])));
    const before = await db().user.findUniqueOrThrow({ where: { id: bob.id } });
    await revokePerson({ adminId, userId: bob.id, reason: "contract ended" });
    const after = await db().user.findUniqueOrThrow({ where: { id: bob.id } });
    expect(after.status).toBe("REVOKED");
    expect(after.sessionVersion).toBe(before.sessionVersion + 1);
    expect(await db().transformKey.count({ where: { userId: bob.id } })).toBe(0);
    await expect(releaseTransformKey(bob.id)).rejects.toThrow(/may not receive decryption help/);
    expect(await db().issuedKey.count({ where: { userId: bob.id, revokedAt: null } })).toBe(0);
    await expect(grantAttributesNow({ adminId, userId: bob.id, attributeIds: [attr.oncology] })).rejects.toThrow(/approved/);
  });

  it("a person without a browser key yet gets keys when it registers one", async () => {
    const carol = await makeUser("HOSPITAL_STAFF");
    await grantAttributesNow({ adminId, userId: carol.id, attributeIds: [attr.oncology] });
    expect(await db().issuedKey.count({ where: { userId: carol.id } })).toBe(0);
    const wrap = generateWrapKeyPair();
    await setWrapPublicKey(carol.id, wrap.publicKey);
    expect(await db().issuedKey.count({ where: { userId: carol.id, revokedAt: null } })).toBe(1);
  });

  it("every change above is in an intact audit chain", async () => {
    expect(await verifyChain(db())).toMatchObject({ ok: true });
    const actions = new Set((await db().auditEntry.findMany({ select: { action: true } })).map((e) => e.action));
    for (const a of [
      "AUTHORITY_CREATED",
      "ATTRIBUTE_CREATED",
      "ATTRIBUTE_GRANTED",
      "KEY_ISSUED",
      "TRANSFORM_KEY_STORED",
      "ATTRIBUTE_REVOKED",
      "ATTRIBUTE_ROTATED",
      "USER_REVOKED",
      "WRAP_KEY_SET",
    ])
      expect(actions.has(a), a).toBe(true);
  });
});
