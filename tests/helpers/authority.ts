import { decodeUserKeys, generateWrapKeyPair, unwrapKey, type G2 } from "@/lib/abe";
import { createAttribute, createAuthority } from "@/lib/authority/catalogue";
import { grantAttributesNow, setWrapPublicKey } from "@/lib/authority/keys";
import type { SessionUser } from "@/lib/auth/session";
import { db } from "@/lib/db/client";
import { sikWrapContext } from "@/lib/keystore/contexts";
import type { Role } from "@/lib/generated/prisma/enums";
import { makeUser } from "./users";

/** An authority with the given attributes (names without the code). */
export async function makeCatalogue(adminId: string, code: string, names: string[]) {
  const authority = await createAuthority(adminId, { code, name: `Authority ${code}`, description: "" });
  const ids: Record<string, string> = {};
  for (const n of names) ids[`${code}.${n}`] = (await createAttribute(adminId, { authorityId: authority.id, localName: n, description: "" })).id;
  return ids;
}

/**
 * An approved person holding `attributes`, with the keys their browser would have unwrapped.
 * Returns the SessionUser shape server code expects plus the keys.
 */
export async function personWithKeys(adminId: string, role: Role, attributeIds: string[]) {
  const u = await makeUser(role);
  const wrap = generateWrapKeyPair();
  await setWrapPublicKey(u.id, wrap.publicKey);
  await grantAttributesNow({ adminId, userId: u.id, attributeIds });
  const full = await db().user.findUniqueOrThrow({ where: { id: u.id }, include: { organisation: true } });
  const issued = await db().issuedKey.findMany({ where: { userId: u.id, revokedAt: null }, include: { attribute: true } });
  const keys = new Map<string, G2>();
  const versions: Record<string, number> = {};
  for (const k of issued) {
    const plain = unwrapKey(wrap.secretKey, k.wrappedKey, sikWrapContext(full.gid, k.attribute.name, k.version));
    keys.set(k.attribute.name, decodeUserKeys(plain).keys.get(k.attribute.name)!);
    versions[k.attribute.name] = k.version;
  }
  const session: SessionUser = {
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
  return { user: session, keys, versions, wrap };
}
