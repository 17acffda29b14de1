import { describe, expect, it } from "vitest";
import { aaCall } from "@/lib/aa/client";
import { createAttribute, createAuthority } from "@/lib/authority/catalogue";
import { grantAttributesNow, myKeyMaterial, revokeAttribute, setWrapPublicKey } from "@/lib/authority/keys";
import { generateWrapKeyPair } from "@/lib/abe";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { hexKey, signPartyToken } from "@/lib/parties/token";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { appendAudit } from "@/lib/ledger/append";
import { verifyLedger } from "@/lib/ledger/verify";
import { rawSql, withFreshDatabase } from "./helpers/db";
import { makeUser } from "./helpers/users";

/**
 * The attribute authorities as services (issue #13): an AA that is down, per-AA revocation, and
 * the AA's refusals of anything but the registration authority's statement for it.
 */
const database = withFreshDatabase();
const aa = (name: string) => database.aas().find((a) => a.name === name)!;
const issuedAt = async (name: string) => Number((await rawSql(aa(name).ownerUrl, "SELECT count(*) FROM aa.issued_keys")).rows[0].count);

async function setUp() {
  const adminId = (await makeUser("AUTHORITY_ADMIN")).id;
  const ha1 = await createAuthority(adminId, { code: "HA1", name: "Consortium", description: "" });
  const nri = await createAuthority(adminId, { code: "NRI", name: "Institute", description: "" });
  const researcher = (await createAttribute(adminId, { authorityId: ha1.id, localName: "researcher", description: "" })).id;
  const oncology = (await createAttribute(adminId, { authorityId: nri.id, localName: "oncology", description: "" })).id;
  const person = await makeUser("RESEARCHER");
  await setWrapPublicKey(person.id, generateWrapKeyPair().publicKey);
  return { adminId, ha1, nri, researcher, oncology, person };
}

describe("attribute authorities as services", () => {
  it("each namespace runs at the AA named like it; an AA that is down leaves its keys pending, then issues them", async () => {
    const { adminId, nri, researcher, oncology, person } = await setUp();
    expect((await db().attributeAuthority.findMany({ orderBy: { code: "asc" } })).map((a) => [a.code, a.service])).toEqual([
      ["HA1", "HA1"],
      ["NRI", "NRI"],
    ]);
    await aa("NRI").stop();
    try {
      // Creating an attribute there changes nothing and says which AA is unreachable.
      const refused = await createAttribute(adminId, { authorityId: nri.id, localName: "genomics", description: "" }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AppError);
      expect((refused as AppError).message).toMatch(/attribute authority NRI is unreachable/);
      expect(await db().attribute.count({ where: { name: "NRI.genomics" } })).toBe(0);
      // A grant goes through: HA1's key is issued, NRI's is pending.
      const granted = await grantAttributesNow({ adminId, userId: person.id, attributeIds: [researcher, oncology] });
      expect(granted.pending).toEqual(["NRI"]);
      const material = await myKeyMaterial(person.id);
      expect(material.pendingAuthorities).toEqual(["NRI"]);
      expect(material.keys.map((k) => k.attribute)).toEqual(["HA1.researcher"]);
      expect(material.grants.map((g) => [g.attribute, g.issuer.service]).sort()).toEqual([
        ["HA1.researcher", "HA1"],
        ["NRI.oncology", "NRI"],
      ]);
    } finally {
      await aa("NRI").start();
    }
    // Back: the next visit issues what was owed.
    const material = await myKeyMaterial(person.id);
    expect(material.pendingAuthorities).toEqual([]);
    expect(material.keys.map((k) => k.attribute).sort()).toEqual(["HA1.researcher", "NRI.oncology"]);
  });

  it("revocation at one AA rotates only that attribute there; the other AA's keys are untouched", async () => {
    const { adminId, researcher, oncology, person } = await setUp().catch(async () => {
      // The first test made the catalogue: reuse it with a new person.
      const adminId = (await db().user.findFirstOrThrow({ where: { role: "AUTHORITY_ADMIN" } })).id;
      const byName = async (name: string) => (await db().attribute.findUniqueOrThrow({ where: { name } })).id;
      const person = await makeUser("RESEARCHER");
      await setWrapPublicKey(person.id, generateWrapKeyPair().publicKey);
      return { adminId, researcher: await byName("HA1.researcher"), oncology: await byName("NRI.oncology"), person };
    });
    await grantAttributesNow({ adminId, userId: person.id, attributeIds: [researcher, oncology] });
    const nriBefore = await db().issuedKey.findMany({ where: { attributeId: oncology } });
    const nriIssued = await issuedAt("NRI");
    await revokeAttribute({ adminId, userId: person.id, attributeId: researcher, reason: "left the study" });
    const versions = await rawSql<{ attribute: string; version: number; retired: boolean }>(
      aa("HA1").ownerUrl,
      "SELECT attribute, version, retired_at IS NOT NULL AS retired FROM aa.key_versions ORDER BY version",
    );
    expect(versions.rows).toEqual([
      { attribute: "HA1.researcher", version: 1, retired: true },
      { attribute: "HA1.researcher", version: 2, retired: false },
    ]);
    expect((await db().attribute.findUniqueOrThrow({ where: { id: researcher } })).currentVersion).toBe(2);
    // NRI: no new version, no new key, the person's NRI key still live.
    expect((await rawSql(aa("NRI").ownerUrl, "SELECT count(*) FROM aa.key_versions")).rows[0].count).toBe("1");
    expect(await issuedAt("NRI")).toBe(nriIssued);
    expect(await db().issuedKey.findMany({ where: { attributeId: oncology } })).toEqual(nriBefore);
    // HA1 down: a revocation there changes nothing and says so.
    await grantAttributesNow({ adminId, userId: person.id, attributeIds: [researcher] });
    await aa("HA1").stop();
    try {
      await expect(revokeAttribute({ adminId, userId: person.id, attributeId: researcher, reason: "again" })).rejects.toThrow(/HA1 is unreachable/);
      expect(await db().attributeGrant.count({ where: { userId: person.id, attributeId: researcher, revokedAt: null } })).toBe(1);
    } finally {
      await aa("HA1").start();
    }
  });

  it("an AA issues keys only on the registration authority's fresh statement, for it, for a namespace it runs", async () => {
    const gid = "mallory.lab";
    const wrap = Buffer.from(generateWrapKeyPair().publicKey).toString("base64url");
    const statement = { sub: "0b9a7c1e-2d3f-4a5b-8c6d-7e8f9a0b1c2d", gid, wrap };
    const before = await issuedAt("HA1");
    const post = (name: string, token: string, body: unknown) =>
      fetch(`${aa(name).url}/api/aa/keys`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    const body = { attribute: "HA1.researcher", version: 1 };
    const sign = (grant: Parameters<typeof signPartyToken>[0], key = hexKey(process.env.MEDSHARE_PARTY_SIGNING_KEY, "k")) => signPartyToken(grant, key);
    const valid = () => sign({ aud: "aa:HA1", op: "aa.issueKey", res: "HA1.researcher@1", ...statement });
    // forged (another key), for the other AA, for another attribute, without the browser key, replayed
    const forged = await post("HA1", sign({ aud: "aa:HA1", op: "aa.issueKey", res: "HA1.researcher@1", ...statement }, randomBytes(32)), body);
    expect([forged.status, ((await forged.json()) as { error: { reason: string } }).error.reason]).toEqual([401, "bad-signature"]);
    expect((await post("NRI", valid(), body)).status).toBe(401);
    expect((await post("HA1", sign({ aud: "aa:HA1", op: "aa.issueKey", res: "HA1.researcher@2", ...statement }), body)).status).toBe(401);
    expect((await post("HA1", sign({ aud: "aa:HA1", op: "aa.issueKey", res: "HA1.researcher@1", sub: statement.sub, gid }), body)).status).toBe(401);
    const token = valid();
    expect((await post("HA1", token, body)).status).toBe(200);
    const replayed = await post("HA1", token, body);
    expect([replayed.status, ((await replayed.json()) as { error: { reason: string } }).error.reason]).toEqual([401, "replayed"]);
    // a namespace it does not run, and malformed bodies: 4xx, nothing issued
    const foreign = await post("HA1", sign({ aud: "aa:HA1", op: "aa.issueKey", res: "NRI.oncology@1", ...statement }), {
      attribute: "NRI.oncology",
      version: 1,
    });
    expect(foreign.status).toBe(404);
    expect((await post("HA1", valid(), { attribute: "HA1.researcher" })).status).toBe(422);
    const garbage = await fetch(`${aa("HA1").url}/api/aa/keys`, { method: "POST", headers: { Authorization: `Bearer ${valid()}` }, body: "{not json" });
    expect(garbage.status).toBe(422);
    const huge = await fetch(`${aa("HA1").url}/api/aa/keys`, { method: "POST", headers: { Authorization: `Bearer ${valid()}` }, body: "x".repeat(200_000) });
    expect(huge.status).toBe(413);
    expect(await issuedAt("HA1")).toBe(before + 1);
    // The registration authority's own client reaches it with the same checks.
    await expect(aaCall("HA1", "aa.issueKey", { attribute: "HA1.nothing", version: 1 }, statement)).rejects.toThrow(/no key version 1 of HA1.nothing/);
  });

  it("a grant waiting on a slow AA does not hold the authority's ledger: other audited changes commit meanwhile", async () => {
    const adminId = (await db().user.findFirstOrThrow({ where: { role: "AUTHORITY_ADMIN" } })).id;
    const oncology = (await db().attribute.findUniqueOrThrow({ where: { name: "NRI.oncology" } })).id;
    const person = await makeUser("RESEARCHER");
    await setWrapPublicKey(person.id, generateWrapKeyPair().publicKey);
    // NRI behind a relay that holds each call until the test lets it through.
    const held = slowRelay(aa("NRI").url);
    const urls = process.env.MEDSHARE_AA_URLS;
    process.env.MEDSHARE_AA_URLS = (urls ?? "").replace(aa("NRI").url, await held.url);
    try {
      const grant = grantAttributesNow({ adminId, userId: person.id, attributeIds: [oncology] });
      await held.arrived;
      // While NRI thinks, someone else's audited change goes in (it waited for the grant's commit before).
      const other = db().$transaction((tx) =>
        appendAudit(tx, { actorId: null, action: "REGISTRATION_DUPLICATE", subjectType: "user", data: { field: "email" } }),
      );
      const first = await Promise.race([other.then(() => "other"), new Promise((r) => setTimeout(r, 5_000)).then(() => "timed out")]);
      held.release();
      expect(first).toBe("other");
      expect((await grant).pending).toEqual([]);
      const log = await db().auditEntry.findMany({ orderBy: { seq: "desc" }, take: 3, select: { action: true, subjectId: true } });
      expect(log.map((e) => e.action)).toEqual(["KEY_ISSUED", "ATTRIBUTE_GRANTED", "REGISTRATION_DUPLICATE"]);
      expect((await verifyLedger()).ok).toBe(true);
    } finally {
      held.release();
      process.env.MEDSHARE_AA_URLS = urls;
      await held.close();
    }
  });
});

/** An HTTP relay to `target` that answers nothing until `release()`; `arrived` settles when a call reaches it. */
function slowRelay(target: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let arrive!: () => void;
  const arrived = new Promise<void>((r) => (arrive = r));
  const server = createServer(async (req, res) => {
    arrive();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    await released;
    const headers = { authorization: String(req.headers.authorization ?? ""), "content-type": String(req.headers["content-type"] ?? "") };
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: Buffer.concat(chunks) });
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  const url = new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
  return { url, arrived, release, close: () => new Promise<void>((r) => server.close(() => r())) };
}
