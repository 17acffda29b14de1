import "server-only";
import { AbeError, decodeTransformKey, encodeTransformKey } from "@/lib/abe";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";
import { KeyVersions, fromJson } from "@/lib/db/json";

/** Layers a transform key may have: key versions of one attribute a person can hold at once. */
export const MAX_TK_LAYERS = 16;

export type TransformKeyLayer = { tk: Uint8Array; keyVersions: Record<string, number> };

/**
 * Stores the paper's outsourced-decryption key TK = {SIK_i^(1/z)} a person's browser made, as
 * layers (one per set of key versions, all under the same z: see TransformKey in the schema).
 * Each must be theirs (GID), well-formed, and cover only attributes they hold, at key versions
 * issued to them; no attribute version twice. It replaces the person's previous transform key.
 * z never reaches the server.
 */
export async function storeTransformKeys(user: { id: string; gid: string }, layers: TransformKeyLayer[]) {
  if (layers.length === 0 || layers.length > MAX_TK_LAYERS) throw new AppError("VALIDATION", `A transform key has 1 to ${MAX_TK_LAYERS} layers.`);
  const issued = await db().issuedKey.findMany({
    where: { userId: user.id, revokedAt: null },
    select: { version: true, attribute: { select: { name: true } } },
  });
  const held = new Set(issued.map((k) => `${k.attribute.name}@${k.version}`));
  const seen = new Set<string>();
  const canonical: Array<{ tk: Uint8Array<ArrayBuffer>; keyVersions: Record<string, number> }> = [];
  for (const layer of layers) {
    let tk;
    try {
      tk = decodeTransformKey(layer.tk);
    } catch (error) {
      if (error instanceof AbeError) throw new AppError("VALIDATION", `The transform key is malformed (${error.code}).`);
      throw error;
    }
    if (tk.gid !== user.gid) throw new AppError("VALIDATION", "This transform key was made for another person.");
    const attributes = [...tk.keys.keys()].sort();
    if (attributes.length === 0) throw new AppError("VALIDATION", "The transform key covers no attribute.");
    if (attributes.join("\n") !== Object.keys(layer.keyVersions).sort().join("\n"))
      throw new AppError("VALIDATION", "The transform key and its version list disagree.");
    const foreign = attributes.filter((a) => !held.has(`${a}@${layer.keyVersions[a]}`));
    if (foreign.length > 0) throw new AppError("FORBIDDEN", `You do not hold ${foreign.join(", ")} at the stated version.`);
    for (const a of attributes) {
      const id = `${a}@${layer.keyVersions[a]}`;
      if (seen.has(id)) throw new AppError("VALIDATION", `The transform key covers ${id} twice.`);
      seen.add(id);
    }
    canonical.push({ tk: new Uint8Array(encodeTransformKey(tk)), keyVersions: layer.keyVersions });
  }
  return db().$transaction(async (tx) => {
    await tx.transformKey.deleteMany({ where: { userId: user.id } });
    await tx.transformKey.createMany({ data: canonical.map((l, layer) => ({ userId: user.id, layer, tk: l.tk, keyVersions: l.keyVersions })) });
    await appendAudit(tx, {
      actorId: user.id,
      action: "TRANSFORM_KEY_STORED",
      subjectType: "user",
      subjectId: user.id,
      data: { keyVersions: canonical[0].keyVersions, covers: [...seen].sort() },
    });
    return { attributes: [...new Set(canonical.flatMap((l) => Object.keys(l.keyVersions)))].sort(), covers: [...seen].sort() };
  });
}

/** A transform key of one layer (the newest versions only). */
export function storeTransformKey(user: { id: string; gid: string }, tk: Uint8Array, keyVersions: Record<string, number>) {
  return storeTransformKeys(user, [{ tk, keyVersions }]);
}

export async function deleteMyTransformKey(userId: string) {
  return db().$transaction(async (tx) => {
    const gone = await tx.transformKey.deleteMany({ where: { userId } });
    if (gone.count > 0)
      await appendAudit(tx, {
        actorId: userId,
        action: "TRANSFORM_KEY_DESTROYED",
        subjectType: "user",
        subjectId: userId,
        data: { reason: "deleted by its owner" },
      });
    return { deleted: gone.count > 0 };
  });
}

/**
 * Hands a person's transform key (every layer) to the CSP for one partial decryption. Refused
 * when the person is not approved (revoked) or holds no transform key (destroyed on revocation).
 */
export async function releaseTransformKey(userId: string): Promise<{ layers: TransformKeyLayer[] }> {
  const row = await db().user.findUnique({ where: { id: userId }, select: { status: true } });
  if (!row || row.status !== "APPROVED") throw new AppError("FORBIDDEN", "This person may not receive decryption help.");
  const rows = await db().transformKey.findMany({ where: { userId }, orderBy: { layer: "asc" } });
  if (rows.length === 0) throw new AppError("INVALID_STATE", "This person has no transform key: they must create one on their keys page (/keys).");
  return { layers: rows.map((r) => ({ tk: r.tk, keyVersions: fromJson(KeyVersions, r.keyVersions, "transform_keys.key_versions") })) };
}
