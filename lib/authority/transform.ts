import "server-only";
import { AbeError, decodeTransformKey, encodeTransformKey } from "@/lib/abe";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";

/**
 * Stores the paper's outsourced-decryption key TK = {SIK_i^(1/z)} a person's browser made.
 * It must be theirs (GID), well-formed, and cover only attributes they hold, at key versions
 * issued to them. z never reaches the server.
 */
export async function storeTransformKey(user: { id: string; gid: string }, tkBytes: Uint8Array, keyVersions: Record<string, number>) {
  let tk;
  try {
    tk = decodeTransformKey(tkBytes);
  } catch (error) {
    if (error instanceof AbeError) throw new AppError("VALIDATION", `The transform key is malformed (${error.code}).`);
    throw error;
  }
  if (tk.gid !== user.gid) throw new AppError("VALIDATION", "This transform key was made for another person.");
  const attributes = [...tk.keys.keys()].sort();
  if (attributes.length === 0) throw new AppError("VALIDATION", "The transform key covers no attribute.");
  if (attributes.join("\n") !== Object.keys(keyVersions).sort().join("\n"))
    throw new AppError("VALIDATION", "The transform key and its version list disagree.");
  const issued = await db().issuedKey.findMany({ where: { userId: user.id, revokedAt: null }, select: { version: true, attribute: { select: { name: true } } } });
  const held = new Set(issued.map((k) => `${k.attribute.name}@${k.version}`));
  const foreign = attributes.filter((a) => !held.has(`${a}@${keyVersions[a]}`));
  if (foreign.length > 0) throw new AppError("FORBIDDEN", `You do not hold ${foreign.join(", ")} at the stated version.`);
  const canonical = new Uint8Array(encodeTransformKey(tk));
  return db().$transaction(async (tx) => {
    await tx.transformKey.upsert({
      where: { userId: user.id },
      create: { userId: user.id, tk: canonical, keyVersions },
      update: { tk: canonical, keyVersions, createdAt: new Date() },
    });
    await appendAudit(tx, { actorId: user.id, action: "TRANSFORM_KEY_STORED", subjectType: "user", subjectId: user.id, data: { keyVersions } });
    return { attributes };
  });
}

export async function deleteMyTransformKey(userId: string) {
  return db().$transaction(async (tx) => {
    const gone = await tx.transformKey.deleteMany({ where: { userId } });
    if (gone.count > 0) await appendAudit(tx, { actorId: userId, action: "TRANSFORM_KEY_DESTROYED", subjectType: "user", subjectId: userId, data: { reason: "deleted by its owner" } });
    return { deleted: gone.count > 0 };
  });
}

/**
 * Hands a person's transform key to the CSP for one partial decryption. Refused when the
 * person is not approved (revoked) or holds no transform key (destroyed on revocation).
 */
export async function releaseTransformKey(userId: string): Promise<{ tk: Uint8Array; keyVersions: Record<string, number> }> {
  const row = await db().user.findUnique({ where: { id: userId }, select: { status: true } });
  if (!row || row.status !== "APPROVED") throw new AppError("FORBIDDEN", "This person may not receive decryption help.");
  const tk = await db().transformKey.findUnique({ where: { userId } });
  if (!tk) throw new AppError("INVALID_STATE", "This person has no transform key: they must create one on their keys page.");
  return { tk: tk.tk, keyVersions: tk.keyVersions as Record<string, number> };
}
