/**
 * Which attribute authorities could, between them, issue keys that satisfy a policy. An
 * attribute `HA1.cardiology` belongs to the authority whose namespace is `HA1`; an authority can
 * issue itself a key for any of its own attributes (key escrow per authority is inherent to
 * ABE), so a group of authorities can read a record when the attributes they own satisfy its
 * policy. The answer lists the smallest such groups.
 */
import { type PolicyNode, policyAttributes } from "./syntax";
import { satisfies } from "./satisfy";

/** The namespace of an attribute: what comes before the first dot. */
export function attributeAuthority(attribute: string): string {
  const dot = attribute.indexOf(".");
  return dot < 0 ? attribute : attribute.slice(0, dot);
}

/** Policies naming more authorities than this get the union of all of them as one group (2^n subsets otherwise). */
const MAX_AUTHORITIES = 12;

/**
 * The inclusion-minimal groups of authorities whose attributes together satisfy the policy,
 * smallest first, each sorted by name: `[["HA1"], ["NRI"]]` for `HA1.a OR NRI.b`,
 * `[["HA1", "NRI"]]` for `HA1.a AND NRI.b`.
 */
export function authorityGroups(node: PolicyNode): string[][] {
  const attributes = policyAttributes(node);
  const authorities = [...new Set(attributes.map(attributeAuthority))].sort();
  if (authorities.length > MAX_AUTHORITIES) return [authorities];
  const groups: number[] = [];
  const subsets = Array.from({ length: 1 << authorities.length }, (_, mask) => mask).sort((a, b) => popcount(a) - popcount(b) || a - b);
  for (const mask of subsets) {
    if (groups.some((g) => (g & mask) === g)) continue; // a smaller group already suffices
    const held = attributes.filter((a) => mask & (1 << authorities.indexOf(attributeAuthority(a))));
    if (satisfies(node, held)) groups.push(mask);
  }
  return groups.map((mask) => authorities.filter((_, i) => mask & (1 << i)));
}

function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m; m &= m - 1) n++;
  return n;
}

/** "HA1 alone", "HA1 and NRI together", "HA1 alone, or NRI alone". */
export function describeAuthorityGroups(groups: string[][]): string {
  const one = (g: string[]) => (g.length === 1 ? `${g[0]} alone` : `${g.slice(0, -1).join(", ")} and ${g[g.length - 1]} together`);
  return groups.map(one).join(", or ");
}
