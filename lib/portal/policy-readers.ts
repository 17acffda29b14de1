import "server-only";
import { authorityGroups, satisfies } from "@/lib/abe";
import { db } from "@/lib/db/client";
import { checkPolicy } from "./uploads";

export type PolicyReaders = {
  /** Approved people whose attributes (granted, not revoked) satisfy the policy today. */
  people: number;
  /** The smallest groups of attribute authorities that could together issue a satisfying key, by code. */
  authorityGroups: string[][];
  /** Code -> name of every authority named in the groups. */
  authorityNames: Record<string, string>;
};

/**
 * Who can read a policy (the policy builder's "who can read"): a count, never names, of the
 * approved people holding a satisfying set of attributes, and which attribute authorities could
 * together issue such keys. The policy must parse and name catalogue attributes only.
 */
export async function policyReaders(text: string): Promise<PolicyReaders> {
  const { node } = await checkPolicy(text);
  const grants = await db().attributeGrant.findMany({
    where: { revokedAt: null },
    select: { userId: true, attribute: { select: { name: true } } },
  });
  const approved = new Set(
    (
      await db().user.findMany({
        where: { status: "APPROVED", id: { in: [...new Set(grants.map((g) => g.userId))] } },
        select: { id: true },
      })
    ).map((u) => u.id),
  );
  const held = new Map<string, string[]>();
  for (const g of grants) if (approved.has(g.userId)) held.set(g.userId, [...(held.get(g.userId) ?? []), g.attribute.name]);
  const people = [...held.values()].filter((attributes) => satisfies(node, attributes)).length;
  const groups = authorityGroups(node);
  const authorities = await db().attributeAuthority.findMany({
    where: { code: { in: [...new Set(groups.flat())] as string[] } },
    select: { code: true, name: true },
  });
  return { people, authorityGroups: groups, authorityNames: Object.fromEntries(authorities.map((a) => [a.code, a.name])) };
}
