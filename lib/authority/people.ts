import "server-only";
import { db } from "@/lib/db/client";

/** Approved people with their attributes, issued key versions and key-store status. */
export async function listPeople() {
  const users = await db().user.findMany({
    where: { status: "APPROVED" },
    orderBy: [{ role: "asc" }, { name: "asc" }],
    select: { id: true, name: true, email: true, gid: true, role: true, wrapPublicKey: true, organisation: { select: { name: true } } },
  });
  const ids = users.map((u) => u.id);
  const [grants, keys, tks] = await Promise.all([
    db().attributeGrant.findMany({
      where: { userId: { in: ids }, revokedAt: null },
      select: { userId: true, attribute: { select: { id: true, name: true } } },
    }),
    db().issuedKey.findMany({ where: { userId: { in: ids }, revokedAt: null }, select: { userId: true, attributeId: true, version: true } }),
    db().transformKey.findMany({ where: { userId: { in: ids } }, select: { userId: true } }),
  ]);
  const withTk = new Set(tks.map((t) => t.userId));
  return users.map((u) => ({
    id: u.id,
    name: u.name,
    email: u.email,
    gid: u.gid,
    role: u.role,
    organisation: u.organisation.name,
    hasWrapKey: Boolean(u.wrapPublicKey),
    hasTransformKey: withTk.has(u.id),
    attributes: grants
      .filter((g) => g.userId === u.id)
      .map((g) => ({
        id: g.attribute.id,
        name: g.attribute.name,
        versions: keys
          .filter((k) => k.userId === u.id && k.attributeId === g.attribute.id)
          .map((k) => k.version)
          .sort(),
      })),
  }));
}

/** Every account, whatever its status, by name: who an audit entry's actor is. */
export function listAccounts() {
  return db().user.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true, email: true } });
}
