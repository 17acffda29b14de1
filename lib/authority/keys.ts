import "server-only";
import { aaCall } from "@/lib/aa/client";
import { db, type Tx } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendBatch, type AuditBatch } from "@/lib/ledger/append";
import { publishVersion } from "./catalogue";
import { KeyVersions, fromJson } from "@/lib/db/json";

type Holder = { id: string; gid: string; wrapPublicKey: Uint8Array | null };
/** An attribute and the AA service that issues its keys. */
type AttributeRef = { id: string; name: string; currentVersion: number; service: string };

/** Long work inside: each key is a call on the attribute's AA service. */
const KEY_TX = { timeout: 120_000, maxWait: 10_000 } as const;

const ATTRIBUTE_REF = { id: true, name: true, currentVersion: true, authority: { select: { service: true } } } as const;
const toRef = (a: { id: string; name: string; currentVersion: number; authority: { service: string } }): AttributeRef => ({
  id: a.id,
  name: a.name,
  currentVersion: a.currentVersion,
  service: a.authority.service,
});

/**
 * Has the attribute's AA service issue SIK_{i,GID} for its current version, wrapped to the
 * holder's X25519 key: the registration authority signs the statement (this person, approved,
 * holds this attribute; their gid and browser key) and stores what comes back, which only that
 * browser can unwrap. Without a wrapping key yet (account made by a script), issuance waits
 * until the person's browser registers one (see setWrapPublicKey). An AA that is unreachable
 * leaves the key pending (answered with the service's name); issuePending retries it.
 */
async function issueCurrent(
  tx: Tx,
  batch: AuditBatch,
  actorId: string | null,
  holder: Holder,
  attribute: AttributeRef,
): Promise<"issued" | "held" | "pending"> {
  if (!holder.wrapPublicKey) return "held";
  const version = attribute.currentVersion;
  const exists = await tx.issuedKey.findUnique({ where: { userId_attributeId_version: { userId: holder.id, attributeId: attribute.id, version } } });
  if (exists && !exists.revokedAt) return "held";
  let issued;
  try {
    issued = await aaCall(
      attribute.service,
      "aa.issueKey",
      { attribute: attribute.name, version },
      { sub: holder.id, gid: holder.gid, wrap: Buffer.from(holder.wrapPublicKey).toString("base64url") },
    );
  } catch (error) {
    if (error instanceof AppError && error.code === "UNAVAILABLE") return "pending";
    throw error;
  }
  const wrappedKey = new Uint8Array(Buffer.from(issued.wrapped, "base64"));
  if (exists) await tx.issuedKey.update({ where: { id: exists.id }, data: { wrappedKey, revokedAt: null, issuedAt: new Date() } });
  else await tx.issuedKey.create({ data: { userId: holder.id, attributeId: attribute.id, version, wrappedKey } });
  batch.push({
    actorId,
    action: "KEY_ISSUED",
    subjectType: "user",
    subjectId: holder.id,
    data: { attribute: attribute.name, version, service: attribute.service },
  });
  return "issued";
}

/** Issues each attribute's key; answers the AA services that could not be reached (keys pending there). */
async function issueAll(tx: Tx, batch: AuditBatch, actorId: string | null, holder: Holder, attributes: AttributeRef[]): Promise<string[]> {
  const pending = new Set<string>();
  for (const attribute of attributes) if ((await issueCurrent(tx, batch, actorId, holder, attribute)) === "pending") pending.add(attribute.service);
  return [...pending].sort();
}

/**
 * Grants attributes to a person and has their keys issued, in the caller's transaction; the
 * audit entries go to the caller's batch. Answers the AA services whose keys are pending
 * (unreachable now; issued on the person's next visit).
 */
export async function grantAttributes(tx: Tx, batch: AuditBatch, adminId: string, userId: string, attributeIds: string[]) {
  const holder = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { id: true, gid: true, wrapPublicKey: true, status: true } });
  if (holder.status !== "APPROVED") throw new AppError("INVALID_STATE", "Only approved people can hold attributes.");
  const attributes = (await tx.attribute.findMany({ where: { id: { in: attributeIds } }, select: ATTRIBUTE_REF })).map(toRef);
  if (attributes.length !== new Set(attributeIds).size) throw new AppError("VALIDATION", "An attribute you chose does not exist.");
  for (const attribute of attributes) {
    const active = await tx.attributeGrant.findFirst({ where: { userId, attributeId: attribute.id, revokedAt: null } });
    if (!active) {
      await tx.attributeGrant.create({ data: { userId, attributeId: attribute.id, grantedById: adminId } });
      batch.push({ actorId: adminId, action: "ATTRIBUTE_GRANTED", subjectType: "user", subjectId: userId, data: { attribute: attribute.name } });
    }
  }
  return { pending: await issueAll(tx, batch, adminId, holder, attributes) };
}

/**
 * A transaction whose steps call AA services: their audit entries are gathered in a batch and
 * appended at its end, so the ledger's lock is never held across those calls (lib/ledger/append.ts).
 */
export function keyTransaction<T>(steps: (tx: Tx, batch: AuditBatch) => Promise<T>): Promise<T> {
  return db().$transaction(async (tx) => {
    const batch: AuditBatch = [];
    const result = await steps(tx, batch);
    await appendBatch(tx, batch);
    return result;
  }, KEY_TX);
}

export async function grantAttributesNow({ adminId, userId, attributeIds }: { adminId: string; userId: string; attributeIds: string[] }) {
  return keyTransaction((tx, batch) => grantAttributes(tx, batch, adminId, userId, attributeIds));
}

/**
 * Keys a person's grants call for that are not issued yet (their AA was unreachable): asked for
 * again. Answers the AA services still unreachable.
 */
export async function issuePending(userId: string): Promise<string[]> {
  return keyTransaction(async (tx, batch) => {
    const holder = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { id: true, gid: true, wrapPublicKey: true, status: true } });
    if (holder.status !== "APPROVED" || !holder.wrapPublicKey) return [];
    const grants = await tx.attributeGrant.findMany({ where: { userId, revokedAt: null }, select: { attribute: { select: ATTRIBUTE_REF } } });
    const issued = await tx.issuedKey.findMany({ where: { userId, revokedAt: null }, select: { attributeId: true, version: true } });
    const held = new Set(issued.map((k) => `${k.attributeId}@${k.version}`));
    const missing = grants.map((g) => toRef(g.attribute)).filter((a) => !held.has(`${a.id}@${a.currentVersion}`));
    return missing.length ? issueAll(tx, batch, userId, holder, missing) : [];
  });
}

/**
 * Starts a new key version of an attribute after a holder lost it: its AA service makes fresh
 * (alpha_i, gamma_i) and retires the old version (which still opens data encrypted under it for
 * those who hold it), the catalogue records the new VK, and new-version keys are issued to every
 * remaining holder. New uploads use the new version. An unreachable AA stops the revocation
 * whole (nothing changes): the old version must not stay current for new uploads.
 */
async function rotateAttribute(tx: Tx, batch: AuditBatch, adminId: string, attribute: AttributeRef) {
  const rotated = await aaCall(attribute.service, "aa.rotateAttribute", { attribute: attribute.name, from: attribute.currentVersion });
  const version = rotated.version;
  await tx.attributeKeyVersion.updateMany({ where: { attributeId: attribute.id, retiredAt: null }, data: { retiredAt: new Date() } });
  await publishVersion(tx, attribute, version, rotated.vk);
  await tx.attribute.update({ where: { id: attribute.id }, data: { currentVersion: version } });
  batch.push({
    actorId: adminId,
    action: "ATTRIBUTE_ROTATED",
    subjectType: "attribute",
    subjectId: attribute.id,
    data: { attribute: attribute.name, version, service: attribute.service },
  });
  const next = { ...attribute, currentVersion: version };
  const grants = await tx.attributeGrant.findMany({ where: { attributeId: attribute.id, revokedAt: null }, select: { userId: true } });
  const holders = await tx.user.findMany({
    where: { id: { in: grants.map((g) => g.userId) }, status: "APPROVED" },
    select: { id: true, gid: true, wrapPublicKey: true },
  });
  for (const holder of holders) await issueCurrent(tx, batch, adminId, holder, next);
}

async function destroyTransformKey(tx: Tx, batch: AuditBatch, actorId: string | null, userId: string, reason: string) {
  const gone = await tx.transformKey.deleteMany({ where: { userId } });
  if (gone.count > 0) batch.push({ actorId, action: "TRANSFORM_KEY_DESTROYED", subjectType: "user", subjectId: userId, data: { reason } });
}

async function revokeGrant(tx: Tx, batch: AuditBatch, adminId: string, userId: string, attribute: AttributeRef, reason: string) {
  await tx.attributeGrant.updateMany({ where: { userId, attributeId: attribute.id, revokedAt: null }, data: { revokedAt: new Date(), revokedById: adminId } });
  await tx.issuedKey.updateMany({ where: { userId, attributeId: attribute.id, revokedAt: null }, data: { revokedAt: new Date() } });
  batch.push({ actorId: adminId, action: "ATTRIBUTE_REVOKED", subjectType: "user", subjectId: userId, data: { attribute: attribute.name, reason } });
  await rotateAttribute(tx, batch, adminId, attribute);
}

/** Takes one attribute from a person: their transform key is destroyed at once. */
export async function revokeAttribute({ adminId, userId, attributeId, reason }: { adminId: string; userId: string; attributeId: string; reason: string }) {
  return keyTransaction(async (tx, batch) => {
    const grant = await tx.attributeGrant.findFirst({
      where: { userId, attributeId, revokedAt: null },
      select: { attribute: { select: ATTRIBUTE_REF } },
    });
    if (!grant) throw new AppError("INVALID_STATE", "This person does not hold that attribute.");
    await destroyTransformKey(tx, batch, adminId, userId, `attribute ${grant.attribute.name} revoked`);
    await revokeGrant(tx, batch, adminId, userId, toRef(grant.attribute), reason);
    return { attribute: grant.attribute.name, newVersion: grant.attribute.currentVersion + 1 };
  });
}

/** Revokes a person entirely: account, every attribute, transform key; sessions end at once. */
export async function revokePerson({ adminId, userId, reason }: { adminId: string; userId: string; reason: string }) {
  if (adminId === userId) throw new AppError("INVALID_STATE", "You cannot revoke your own account.");
  return keyTransaction(async (tx, batch) => {
    const changed = await tx.user.updateMany({
      where: { id: userId, status: "APPROVED" },
      data: { status: "REVOKED", decisionReason: reason, decidedAt: new Date(), decidedById: adminId, sessionVersion: { increment: 1 } },
    });
    if (changed.count !== 1) throw new AppError("INVALID_STATE", "Only an approved person can be revoked.");
    batch.push({ actorId: adminId, action: "USER_REVOKED", subjectType: "user", subjectId: userId, data: { reason } });
    await destroyTransformKey(tx, batch, adminId, userId, "person revoked");
    const grants = await tx.attributeGrant.findMany({
      where: { userId, revokedAt: null },
      select: { attribute: { select: ATTRIBUTE_REF } },
    });
    for (const g of grants) await revokeGrant(tx, batch, adminId, userId, toRef(g.attribute), reason);
    return { attributes: grants.map((g) => g.attribute.name) };
  });
}

/**
 * Records the public half of the key-wrapping pair a person's browser generated, then issues
 * every key their grants call for. Replacing an existing key (a lost browser store without a
 * backup) re-issues the current versions to the new key and destroys the transform key.
 */
/**
 * Registers a person's new key-wrapping public key and issues their current keys to it. The
 * caller has re-authenticated; `from` says which session did it: every other session of the
 * person ends (a thief's or the owner's — either way the owner must sign in again and sees the
 * notice), and a replacement is recorded on the account to be shown to the person.
 */
export async function setWrapPublicKey(userId: string, publicKey: Uint8Array, from?: { sessionId: string; address: string }) {
  return keyTransaction(async (tx, batch) => {
    const user = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { id: true, gid: true, wrapPublicKey: true } });
    const replacing = Boolean(user.wrapPublicKey);
    const now = new Date();
    await tx.user.update({
      where: { id: userId },
      data: { wrapPublicKey: new Uint8Array(publicKey), ...(replacing && from ? { keyStoreReplacedAt: now, keyStoreReplacedFrom: from.address } : {}) },
    });
    const sessionsEnded = from
      ? (await tx.session.updateMany({ where: { userId, revokedAt: null, id: { not: from.sessionId } }, data: { revokedAt: now } })).count
      : 0;
    batch.push({
      actorId: userId,
      action: "WRAP_KEY_SET",
      subjectType: "user",
      subjectId: userId,
      data: { replacing, reauthenticated: Boolean(from), sessionsEnded },
    });
    if (replacing) {
      await tx.issuedKey.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
      await destroyTransformKey(tx, batch, userId, userId, "key store replaced");
    }
    const holder = { ...user, wrapPublicKey: new Uint8Array(publicKey) };
    const grants = await tx.attributeGrant.findMany({
      where: { userId, revokedAt: null },
      select: { attribute: { select: ATTRIBUTE_REF } },
    });
    const pending = await issueAll(
      tx,
      batch,
      userId,
      holder,
      grants.map((g) => toRef(g.attribute)),
    );
    return { issued: grants.length, sessionsEnded, pending };
  });
}

/** What a person's browser needs to refresh its key store: their wrapped keys and attributes. */
export async function myKeyMaterial(userId: string) {
  // Keys an unreachable AA owed this person: asked for again first.
  const pending = await issuePending(userId).catch(() => [] as string[]);
  const [user, grants, keys, tk] = await Promise.all([
    db().user.findUniqueOrThrow({ where: { id: userId }, select: { gid: true, wrapPublicKey: true } }),
    db().attributeGrant.findMany({
      where: { userId, revokedAt: null },
      select: {
        grantedAt: true,
        attribute: { select: { name: true, currentVersion: true, description: true, authority: { select: { code: true, name: true, service: true } } } },
      },
    }),
    db().issuedKey.findMany({
      where: { userId, revokedAt: null },
      orderBy: { issuedAt: "asc" },
      select: { version: true, wrappedKey: true, issuedAt: true, attribute: { select: { name: true } } },
    }),
    db().transformKey.findMany({ where: { userId }, orderBy: { layer: "asc" }, select: { keyVersions: true, createdAt: true } }),
  ]);
  return {
    gid: user.gid,
    hasWrapKey: Boolean(user.wrapPublicKey),
    /** AA services that could not issue this person's keys just now (unreachable): named on /keys. */
    pendingAuthorities: pending,
    grants: grants.map((g) => ({
      attribute: g.attribute.name,
      description: g.attribute.description,
      currentVersion: g.attribute.currentVersion,
      grantedAt: g.grantedAt.toISOString(),
      /** The attribute authority that issues this attribute's keys. */
      issuer: g.attribute.authority,
    })),
    keys: keys.map((k) => ({
      attribute: k.attribute.name,
      version: k.version,
      issuedAt: k.issuedAt.toISOString(),
      wrapped: Buffer.from(k.wrappedKey).toString("base64"),
    })),
    // keyVersions: the newest layer; covers: every attribute key version the stored layers cover ("HA1.cardiology@1").
    transformKey: tk.length
      ? {
          keyVersions: fromJson(KeyVersions, tk[0].keyVersions, "transform_keys.key_versions"),
          covers: tk.flatMap((l) => Object.entries(fromJson(KeyVersions, l.keyVersions, "transform_keys.key_versions")).map(([a, v]) => `${a}@${v}`)).sort(),
          createdAt: tk[0].createdAt.toISOString(),
        }
      : null,
  };
}
