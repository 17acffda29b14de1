import "server-only";
import { randomUUID } from "node:crypto";
import { createKeyHolder, loadKeyHolder, type CkksPublicKeys, type KeyHolder } from "@/lib/hopcm/encrypted";
import { nodeCkks } from "@/lib/ckks/node";
import { db, type Tx } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { appendAudit } from "@/lib/ledger/append";
import { seal, unseal } from "./seal";
import { NumberList, fromJson } from "@/lib/db/json";

/**
 * The key holder of the clustering protocol (DESIGN.md "Clustering"): one active CKKS key pair,
 * made on first need (rows of other parameters are the blind protocol's: ./blind-key-holder.ts). Public material is stored in the clear (the public key goes to hospitals'
 * browsers, the evaluation keys to the CSP); the secret key is sealed under the KEK, bound to
 * its row id.
 */
export const ckksSecretAad = (keyId: string) => `medshare-ckks-secret:${keyId}`;

const CKKS_KEY_LOCK = 727276;
/** Key generation (Galois keys for every rotation step) takes a few seconds. */
const KEYGEN_TX = { timeout: 120_000, maxWait: 30_000 } as const;

export type CkksKeyInfo = { keyId: string; publicKeys: CkksPublicKeys };

type Cache = { active?: CkksKeyInfo; byId: Map<string, CkksKeyInfo> };
const globalForKeys = globalThis as unknown as { medshareCkksKeys?: Cache };
const cache = (): Cache => (globalForKeys.medshareCkksKeys ??= { byId: new Map() });

function infoOf(row: {
  id: string;
  paramsId: string;
  publicKey: Uint8Array;
  relinKeys: Uint8Array;
  galoisKeys: Uint8Array;
  rotationSteps: unknown;
}): CkksKeyInfo {
  return {
    keyId: row.id,
    publicKeys: {
      paramsId: row.paramsId,
      publicKey: new Uint8Array(row.publicKey),
      relinKeys: new Uint8Array(row.relinKeys),
      galoisKeys: new Uint8Array(row.galoisKeys),
      rotationSteps: fromJson(NumberList, row.rotationSteps, "ckks_keys.rotation_steps"),
    },
  };
}

async function createActive(tx: Tx): Promise<CkksKeyInfo> {
  const ckks = await nodeCkks();
  const holder = createKeyHolder(ckks);
  try {
    const id = randomUUID();
    const { publicKeys } = holder;
    await tx.ckksKey.create({
      data: {
        id,
        paramsId: publicKeys.paramsId,
        publicKey: new Uint8Array(publicKeys.publicKey),
        relinKeys: new Uint8Array(publicKeys.relinKeys),
        galoisKeys: new Uint8Array(publicKeys.galoisKeys),
        rotationSteps: publicKeys.rotationSteps,
        sealedSecretKey: seal(holder.exportSecretKey(), ckksSecretAad(id)),
      },
    });
    await appendAudit(tx, { actorId: null, action: "CKKS_KEYS_CREATED", subjectType: "ckks_key", subjectId: id, data: { paramsId: publicKeys.paramsId } });
    return { keyId: id, publicKeys };
  } finally {
    holder.dispose();
  }
}

/** The active key holder's public material; creates the key pair (secret sealed) on first call. */
export async function ckksPublicKeys(): Promise<CkksKeyInfo> {
  const c = cache();
  if (c.active) return c.active;
  const info = await db().$transaction(async (tx) => {
    // Two first callers at once: the second waits here and finds the first one's row.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CKKS_KEY_LOCK})`;
    const row = await tx.ckksKey.findFirst({ where: { active: true, paramsId: (await nodeCkks()).id }, orderBy: { createdAt: "desc" } });
    return row ? infoOf(row) : createActive(tx);
  }, KEYGEN_TX);
  const ckks = await nodeCkks();
  if (info.publicKeys.paramsId !== ckks.id) throw new AppError("INTERNAL", "The stored CKKS keys were made under other parameters.");
  c.active = info;
  c.byId.set(info.keyId, info);
  return info;
}

/** The active key's id without making one (null: no key yet, so nothing can be encrypted under one). */
export async function activeCkksKeyId(): Promise<string | null> {
  const active = cache().active;
  if (active) return active.keyId;
  const row = await db().ckksKey.findFirst({ where: { active: true, paramsId: (await nodeCkks()).id }, orderBy: { createdAt: "desc" }, select: { id: true } });
  return row?.id ?? null;
}

/** Public material of a given key (active or not). */
export async function ckksPublicKeysById(keyId: string): Promise<CkksKeyInfo> {
  const c = cache();
  const hit = c.byId.get(keyId);
  if (hit) return hit;
  const row = await db().ckksKey.findUnique({ where: { id: keyId } });
  if (!row) throw new AppError("NOT_FOUND", "No such CKKS key.");
  const info = infoOf(row);
  c.byId.set(keyId, info);
  return info;
}

/**
 * The key holder itself: unseals the secret key and loads it. The caller owns the result and
 * must `dispose()` it (SEAL memory is not garbage collected). Default: the active key.
 */
export async function keyHolderFor(keyId?: string): Promise<{ keyId: string; keyHolder: KeyHolder }> {
  const info = keyId ? await ckksPublicKeysById(keyId) : await ckksPublicKeys();
  const row = await db().ckksKey.findUniqueOrThrow({ where: { id: info.keyId }, select: { sealedSecretKey: true } });
  const ckks = await nodeCkks();
  const secret = unseal(row.sealedSecretKey, ckksSecretAad(info.keyId));
  try {
    return { keyId: info.keyId, keyHolder: loadKeyHolder(ckks, secret, info.publicKeys) };
  } finally {
    secret.fill(0);
  }
}
