import { describe, expect, it } from "vitest";
import { decodeAttributeSecret, decodeAttributeVk, encodeAttributeSecret, encodeAttributeVk, setupAttribute, verifyUserKey } from "@/lib/abe";
import { aaCall } from "@/lib/aa/client";
import { secretAad } from "@/lib/aa/schema";
import { legacySecretsWaiting, moveLegacySecrets } from "@/lib/authority/legacy-secrets";
import { revokeAttribute } from "@/lib/authority/keys";
import { seal } from "@/lib/authority/seal";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { unsealWith } from "@/lib/parties/seal";
import { personWithKeys } from "./helpers/authority";
import { rawSql, withFreshDatabase } from "./helpers/db";
import { makeUser } from "./helpers/users";

/**
 * An install from before the AA services (migration 0024) kept every attribute's master secret in
 * the portal's database under the portal's KEK. Those move to the AA service that runs their
 * namespace, once, and the portal forgets them (issue #13: the registration authority holds no
 * master secret of an AA it does not run).
 */
const database = withFreshDatabase();
const aa = (name: string) => database.aas().find((a) => a.name === name)!;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** What migration 0024 leaves of an old install: namespaces run by the service named like them, secrets under the portal's KEK. */
async function legacyAttribute(code: string, local: string, versions: number) {
  const authority =
    (await db().attributeAuthority.findUnique({ where: { code } })) ??
    (await db().attributeAuthority.create({ data: { code, name: `Old ${code}`, description: "", service: code } }));
  const name = `${code}.${local}`;
  const attribute = await db().attribute.create({ data: { authorityId: authority.id, name, currentVersion: versions } });
  const secrets = [];
  for (let version = 1; version <= versions; version++) {
    const { secret, vk } = setupAttribute(name);
    await db().attributeKeyVersion.create({
      data: {
        attributeId: attribute.id,
        version,
        vk: Buffer.from(encodeAttributeVk(vk)),
        legacySealedSecret: Buffer.from(seal(encodeAttributeSecret(secret), secretAad(name, version))),
        retiredAt: version < versions ? new Date() : null,
      },
    });
    secrets.push(secret);
  }
  return { id: attribute.id, name, secrets };
}

const heldByPortal = async () => db().attributeKeyVersion.count({ where: { legacySealedSecret: { not: null } } });

describe("attribute secrets from before the AA services", () => {
  it("move to their AA, which keeps them under its own KEK; the portal forgets them; keys issued from them verify", async () => {
    const adminId = (await makeUser("AUTHORITY_ADMIN")).id;
    const study = await legacyAttribute("HA1", "study", 2);
    const genomics = await legacyAttribute("NRI", "genomics", 1);
    const orphan = await legacyAttribute("STM", "ward", 1);
    expect(await heldByPortal()).toBe(4);

    // NRI is down and no AA service runs STM: those wait, HA1's move.
    await aa("NRI").stop();
    let report;
    try {
      report = await moveLegacySecrets();
    } finally {
      await aa("NRI").start();
    }
    expect(report.moved).toEqual([
      { attribute: "HA1.study", version: 1, service: "HA1" },
      { attribute: "HA1.study", version: 2, service: "HA1" },
    ]);
    expect(report.waiting.map((w) => [w.service, w.versions])).toEqual([
      ["NRI", 1],
      ["STM", 1],
    ]);
    expect(report.waiting[0].reason).toMatch(/attribute authority NRI is unreachable/);
    expect(report.waiting[1].reason).toMatch(/no attribute authority service named STM/);
    expect(await legacySecretsWaiting()).toEqual([
      { service: "NRI", versions: 1, configured: true },
      { service: "STM", versions: 1, configured: false },
    ]);

    // HA1 holds both versions under its own KEK, the old one retired; they are the same secrets.
    const held = await rawSql<{ version: number; sealed_secret: Buffer; retired: boolean }>(
      aa("HA1").ownerUrl,
      "SELECT version, sealed_secret, retired_at IS NOT NULL AS retired FROM aa.key_versions WHERE attribute = 'HA1.study' ORDER BY version",
    );
    expect(held.rows.map((r) => [r.version, r.retired])).toEqual([
      [1, true],
      [2, false],
    ]);
    for (const r of held.rows) {
      const secret = decodeAttributeSecret(unsealWith(aa("HA1").kek, r.sealed_secret, secretAad("HA1.study", r.version)));
      expect(encodeAttributeSecret(secret)).toEqual(encodeAttributeSecret(study.secrets[r.version - 1]));
    }
    const portalRows = await db().attributeKeyVersion.findMany({ where: { attributeId: study.id }, select: { legacySealedSecret: true } });
    expect(portalRows.map((r) => r.legacySealedSecret)).toEqual([null, null]);
    const audited = await db().auditEntry.findMany({ where: { action: "ATTRIBUTE_SECRET_MOVED" }, orderBy: { seq: "asc" } });
    expect(audited.map((e) => e.data)).toEqual([
      { name: "HA1.study", version: 1, service: "HA1" },
      { name: "HA1.study", version: 2, service: "HA1" },
    ]);

    // The next pass moves NRI's; STM's stays until an AA named STM runs. A third pass: nothing twice.
    expect((await moveLegacySecrets()).moved).toEqual([{ attribute: "NRI.genomics", version: 1, service: "NRI" }]);
    expect((await moveLegacySecrets()).moved).toEqual([]);
    expect(await heldByPortal()).toBe(1);
    expect(await db().auditEntry.count({ where: { action: "ATTRIBUTE_SECRET_MOVED" } })).toBe(3);
    expect(orphan.name).toBe("STM.ward");

    // A person granted the moved attributes gets keys from the AAs that verify under the old VKs.
    const person = await personWithKeys(adminId, "RESEARCHER", [study.id, genomics.id]);
    expect(person.versions).toEqual({ "HA1.study": 2, "NRI.genomics": 1 });
    const vks = await db().attributeKeyVersion.findMany({
      where: { attributeId: { in: [study.id, genomics.id] }, retiredAt: null },
      include: { attribute: true },
    });
    for (const v of vks) expect(verifyUserKey(decodeAttributeVk(v.vk), person.user.gid, person.keys.get(v.attribute.name)!)).toBe(true);

    // Rotation goes on at the AA from the moved version.
    await revokeAttribute({ adminId, userId: person.user.id, attributeId: study.id, reason: "left" });
    expect((await db().attribute.findUniqueOrThrow({ where: { id: study.id } })).currentVersion).toBe(3);
  });

  it("the AA keeps a sent secret only if it matches the published key, and never replaces one it holds", async () => {
    const adminId = (await makeUser("AUTHORITY_ADMIN")).id;
    void adminId;
    await aaCall("HA1", "aa.addNamespace", { code: "HA1" });
    const real = setupAttribute("HA1.imported");
    const other = setupAttribute("HA1.imported");
    const count = async () => Number((await rawSql(aa("HA1").ownerUrl, "SELECT count(*) FROM aa.key_versions WHERE attribute = 'HA1.imported'")).rows[0].count);
    const send = (secret: typeof real.secret, vk: typeof real.vk, version = 1) =>
      aaCall("HA1", "aa.importVersion", {
        attribute: "HA1.imported",
        version,
        secret: b64(encodeAttributeSecret(secret)),
        vk: b64(encodeAttributeVk(vk)),
        retired: false,
      }).catch((e: unknown) => e);

    // A secret that does not match the key it claims: refused, nothing kept.
    const mismatched = await send(other.secret, real.vk);
    expect(mismatched).toBeInstanceOf(AppError);
    expect((mismatched as AppError).code).toBe("VALIDATION");
    expect((mismatched as AppError).message).toMatch(/does not match its published verification key/);
    // Another attribute's secret under this name: refused.
    const foreign = setupAttribute("HA1.elsewhere");
    expect(((await send(foreign.secret, foreign.vk)) as AppError).message).toMatch(/HA1.elsewhere's, not HA1.imported's/);
    // Garbage: a 422, not a 500.
    const garbage = await aaCall("HA1", "aa.importVersion", { attribute: "HA1.imported", version: 1, secret: "AAAA", vk: "AAAA", retired: false }).catch(
      (e: unknown) => e,
    );
    expect((garbage as AppError).code).toBe("VALIDATION");
    expect(await count()).toBe(0);

    expect(await send(real.secret, real.vk)).toEqual({ attribute: "HA1.imported", version: 1, imported: true });
    expect(await send(real.secret, real.vk)).toEqual({ attribute: "HA1.imported", version: 1, imported: false });
    // A second, different key for a version it holds: refused; the one it holds stays.
    const replaced = await send(other.secret, other.vk);
    expect((replaced as AppError).code).toBe("CONFLICT");
    const kept = await rawSql<{ vk: Buffer }>(aa("HA1").ownerUrl, "SELECT vk FROM aa.key_versions WHERE attribute = 'HA1.imported'");
    expect(new Uint8Array(kept.rows[0].vk)).toEqual(encodeAttributeVk(real.vk));
    // A namespace the AA does not run: refused.
    const elsewhere = setupAttribute("ZZZ.x");
    const unknown = await aaCall("HA1", "aa.importVersion", {
      attribute: "ZZZ.x",
      version: 1,
      secret: b64(encodeAttributeSecret(elsewhere.secret)),
      vk: b64(encodeAttributeVk(elsewhere.vk)),
      retired: false,
    }).catch((e: unknown) => e);
    expect((unknown as AppError).code).toBe("NOT_FOUND");
  });
});
