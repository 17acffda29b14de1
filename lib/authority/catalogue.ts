import "server-only";
import { decodeAttributeVk, encodeAttributeSecret, encodeAttributeVk, setupAttribute, type AttributeVk } from "@/lib/abe";
import { db, type Tx } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/ledger/append";
import { seal, secretAad } from "./seal";

export async function createAuthority(adminId: string, input: { code: string; name: string; description: string }) {
  try {
    return await db().$transaction(async (tx) => {
      const authority = await tx.attributeAuthority.create({ data: input, select: { id: true, code: true } });
      await appendAudit(tx, {
        actorId: adminId,
        action: "AUTHORITY_CREATED",
        subjectType: "attribute-authority",
        subjectId: authority.id,
        data: { code: input.code },
      });
      return authority;
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
      throw new AppError("CONFLICT", `An attribute authority with code ${input.code} exists.`, { code: ["Already used."] });
    throw error;
  }
}

/**
 * Stores a fresh key version of `attribute`: runs the authority setup (alpha_i, gamma_i), seals
 * the secret under the key-encryption key and publishes VK_i.
 */
export async function storeNewVersion(tx: Tx, attribute: { id: string; name: string }, version: number) {
  const { secret, vk } = setupAttribute(attribute.name);
  await tx.attributeKeyVersion.create({
    data: {
      attributeId: attribute.id,
      version,
      vk: new Uint8Array(encodeAttributeVk(vk)),
      sealedSecret: seal(encodeAttributeSecret(secret), secretAad(attribute.name, version)),
    },
  });
  return vk;
}

export async function createAttribute(adminId: string, input: { authorityId: string; localName: string; description: string }) {
  const authority = await db().attributeAuthority.findUnique({ where: { id: input.authorityId } });
  if (!authority) throw new AppError("NOT_FOUND", "That attribute authority does not exist.");
  const name = `${authority.code}.${input.localName}`;
  try {
    return await db().$transaction(async (tx) => {
      const attribute = await tx.attribute.create({
        data: { authorityId: authority.id, name, description: input.description, currentVersion: 1 },
        select: { id: true, name: true },
      });
      await storeNewVersion(tx, attribute, 1);
      await appendAudit(tx, { actorId: adminId, action: "ATTRIBUTE_CREATED", subjectType: "attribute", subjectId: attribute.id, data: { name, version: 1 } });
      return attribute;
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
      throw new AppError("CONFLICT", `The attribute ${name} exists.`, { localName: ["Already exists."] });
    throw error;
  }
}

export function listCatalogue() {
  return db().attributeAuthority.findMany({
    orderBy: { code: "asc" },
    select: {
      id: true,
      code: true,
      name: true,
      description: true,
      attributes: {
        orderBy: { name: "asc" },
        select: { id: true, name: true, description: true, currentVersion: true, _count: { select: { grants: { where: { revokedAt: null } } } } },
      },
    },
  });
}

/** Public verification keys of every attribute version, for browsers (encrypt, verify keys, ABS). */
export async function listPublicKeys() {
  const rows = await db().attributeKeyVersion.findMany({
    orderBy: [{ attribute: { name: "asc" } }, { version: "asc" }],
    select: { version: true, vk: true, retiredAt: true, attribute: { select: { name: true, currentVersion: true, description: true } } },
  });
  return rows.map((r) => ({
    attribute: r.attribute.name,
    description: r.attribute.description,
    version: r.version,
    current: r.version === r.attribute.currentVersion,
    vk: Buffer.from(r.vk).toString("base64"),
  }));
}

/**
 * Verification keys for exact attribute versions, e.g. those an envelope or signature names.
 * Unknown attributes or versions are a validation error naming them.
 */
export async function vksFor(versions: Record<string, number>): Promise<Map<string, AttributeVk>> {
  return new Map(Object.entries(await encodedVksFor(versions)).map(([name, vk]) => [name, decodeAttributeVk(vk)]));
}

/** The same keys as stored (encoded), for another party to decode: attribute -> vk bytes. */
export async function encodedVksFor(versions: Record<string, number>): Promise<Record<string, Uint8Array>> {
  const names = Object.keys(versions);
  const rows = await db().attributeKeyVersion.findMany({
    where: { attribute: { name: { in: names } } },
    select: { version: true, vk: true, attribute: { select: { name: true } } },
  });
  const out: Record<string, Uint8Array> = {};
  for (const r of rows) if (versions[r.attribute.name] === r.version) out[r.attribute.name] = new Uint8Array(r.vk);
  const unknown = names.filter((n) => !Object.hasOwn(out, n));
  if (unknown.length) throw new AppError("VALIDATION", `Unknown attribute or key version: ${unknown.map((n) => `${n} v${versions[n]}`).join(", ")}.`);
  return out;
}

/** Current key version of each named attribute; names outside the catalogue are reported. */
export async function currentVersions(names: string[]): Promise<{ versions: Record<string, number>; unknown: string[] }> {
  const rows = await db().attribute.findMany({ where: { name: { in: names } }, select: { name: true, currentVersion: true } });
  const versions = Object.fromEntries(rows.map((r) => [r.name, r.currentVersion]));
  return { versions, unknown: names.filter((n) => !(n in versions)) };
}

/** Current key version of every attribute in the catalogue (public). */
export async function allCurrentVersions(): Promise<Record<string, number>> {
  const rows = await db().attribute.findMany({ select: { name: true, currentVersion: true } });
  return Object.fromEntries(rows.map((r) => [r.name, r.currentVersion]));
}
