import "server-only";
import { decodeAttributeVk, type AttributeVk } from "@/lib/abe";
import { aaCall, aaServices } from "@/lib/aa/client";
import { db, type Tx } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { Prisma } from "@/lib/generated/prisma/client";
import { appendAudit } from "@/lib/ledger/append";

/**
 * The AA service that runs a new namespace: the one asked for, else the one named like the code
 * (HA1 runs HA1), else the first configured. Only configured services can be chosen.
 */
export function serviceFor(code: string, asked?: string): string {
  const services = [...aaServices().keys()];
  if (services.length === 0) throw new AppError("UNAVAILABLE", "No attribute authority service is configured (MEDSHARE_AA_URLS; docs/DEPLOY.md).");
  if (asked) {
    if (!services.includes(asked))
      throw new AppError("VALIDATION", `There is no attribute authority service ${asked}.`, { service: ["Choose one of the list."] });
    return asked;
  }
  return services.includes(code) ? code : services[0];
}

/** The configured AA services, for the admin's "Run by" choice. */
export const attributeAuthorityServices = () => [...aaServices().keys()];

/**
 * Registers a namespace: the AA service that will run it takes it on first (idempotent), then the
 * catalogue records it. An unreachable AA: nothing is recorded.
 */
export async function createAuthority(adminId: string, input: { code: string; name: string; description: string; service?: string }) {
  const service = serviceFor(input.code, input.service);
  const existing = await db().attributeAuthority.findUnique({ where: { code: input.code }, select: { id: true } });
  if (existing) throw new AppError("CONFLICT", `An attribute authority with code ${input.code} exists.`, { code: ["Already used."] });
  await aaCall(service, "aa.addNamespace", { code: input.code });
  try {
    return await db().$transaction(async (tx) => {
      const authority = await tx.attributeAuthority.create({
        data: { code: input.code, name: input.name, description: input.description, service },
        select: { id: true, code: true },
      });
      await appendAudit(tx, {
        actorId: adminId,
        action: "AUTHORITY_CREATED",
        subjectType: "attribute-authority",
        subjectId: authority.id,
        data: { code: input.code, service },
      });
      return authority;
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002")
      throw new AppError("CONFLICT", `An attribute authority with code ${input.code} exists.`, { code: ["Already used."] });
    throw error;
  }
}

/** Records a key version's public verification key VK_i as the attribute's AA service published it. */
export async function publishVersion(tx: Tx, attribute: { id: string; name: string }, version: number, vkBase64: string) {
  const vk = new Uint8Array(Buffer.from(vkBase64, "base64"));
  decodeAttributeVk(vk); // a malformed key from the AA fails here, before anyone encrypts under it
  await tx.attributeKeyVersion.create({ data: { attributeId: attribute.id, version, vk } });
}

/**
 * A new attribute: its AA service runs the setup (alpha_i, gamma_i, kept there) and publishes VK_1,
 * which the catalogue records. The AA's step is idempotent, so a failure here can be retried.
 */
export async function createAttribute(adminId: string, input: { authorityId: string; localName: string; description: string }) {
  const authority = await db().attributeAuthority.findUnique({ where: { id: input.authorityId } });
  if (!authority) throw new AppError("NOT_FOUND", "That attribute authority does not exist.");
  const name = `${authority.code}.${input.localName}`;
  if (await db().attribute.findUnique({ where: { name }, select: { id: true } }))
    throw new AppError("CONFLICT", `The attribute ${name} exists.`, { localName: ["Already exists."] });
  const published = await aaCall(authority.service, "aa.setupAttribute", { attribute: name });
  try {
    return await db().$transaction(async (tx) => {
      const attribute = await tx.attribute.create({
        data: { authorityId: authority.id, name, description: input.description, currentVersion: 1 },
        select: { id: true, name: true },
      });
      await publishVersion(tx, attribute, 1, published.vk);
      await appendAudit(tx, {
        actorId: adminId,
        action: "ATTRIBUTE_CREATED",
        subjectType: "attribute",
        subjectId: attribute.id,
        data: { name, version: 1, service: authority.service },
      });
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
      service: true,
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
