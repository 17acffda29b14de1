import "server-only";
import { db } from "@/lib/db/client";

/** A page of the authority's log, newest first: entries before `before`, optionally of one action or actor. */
export function authorityEntries(q: { take: number; before?: string; action?: string; actorId?: string }) {
  const where = {
    ...(q.before ? { seq: { lt: BigInt(q.before) } } : {}),
    ...(q.action ? { action: q.action } : {}),
    ...(q.actorId ? { actorId: q.actorId } : {}),
  };
  return db().auditEntry.findMany({ where, orderBy: { seq: "desc" }, take: q.take });
}

/** Every action the authority's log holds, for its filter. */
export function authorityActions() {
  return db().auditEntry.findMany({ distinct: ["action"], select: { action: true }, orderBy: { action: "asc" } });
}
