import "server-only";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/generated/prisma/client";

export const PEOPLE_PAGE_SIZE = 25;

/**
 * One page of approved people (by role, then name) with their attributes, issued key versions
 * and key-store status; `search` matches name, e-mail or GID, any case. A page, not everyone: each
 * row carries the catalogue's grantable attributes, so the whole list grew as people x attributes.
 */
export async function listPeople({ search, page }: { search?: string; page: number }) {
  const where: Prisma.UserWhereInput = {
    status: "APPROVED",
    ...(search && {
      OR: (["name", "email", "gid"] as const).map((field) => ({ [field]: { contains: search, mode: "insensitive" as const } })),
    }),
  };
  const total = await db().user.count({ where });
  const pages = Math.max(1, Math.ceil(total / PEOPLE_PAGE_SIZE));
  const current = Math.min(page, pages);
  const users = await db().user.findMany({
    where,
    orderBy: [{ role: "asc" }, { name: "asc" }, { id: "asc" }],
    skip: (current - 1) * PEOPLE_PAGE_SIZE,
    take: PEOPLE_PAGE_SIZE,
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
  const people = users.map((u) => ({
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
  return { people, total, page: current, pages };
}

/** Every account, whatever its status, by name: who an audit entry's actor is. */
export function listAccounts() {
  return db().user.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true, email: true } });
}
