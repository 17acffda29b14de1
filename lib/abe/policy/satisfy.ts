/**
 * Whether a set of attributes satisfies a policy, and if not, a smallest set of attributes
 * that is missing (what the portal tells a researcher to ask for).
 */
import { type PolicyNode, policyAttributes } from "./syntax";

function toSet(attrs: Iterable<string>): Set<string> {
  return attrs instanceof Set ? (attrs as Set<string>) : new Set(attrs);
}

/** True when the attribute set satisfies the policy. */
export function satisfies(node: PolicyNode, attrs: Iterable<string>): boolean {
  return sat(node, toSet(attrs));
}

function sat(n: PolicyNode, held: Set<string>): boolean {
  switch (n.kind) {
    case "attr":
      return held.has(n.name);
    case "and":
      return n.children.every((c) => sat(c, held));
    case "or":
      return n.children.some((c) => sat(c, held));
    case "threshold": {
      let count = 0;
      for (const c of n.children) if (sat(c, held) && ++count >= n.k) return true;
      return false;
    }
  }
}

/** Work bound of the exact search in explainMissing; beyond it the greedy answer stands. */
const EXACT_SEARCH_BUDGET = 20_000;

/**
 * A smallest set of attributes to add so that `attrs` satisfies the policy, in policy order;
 * [] when already satisfied. Exact (by search) for small policies; for large ones a tree
 * answer that is exact when no attribute repeats, then pruned to be inclusion-minimal.
 */
export function explainMissing(node: PolicyNode, attrs: Iterable<string>): string[] {
  const held = new Set(attrs);
  if (sat(node, held)) return [];
  const order = policyAttributes(node);
  const dp = minimalMissing(node, held);
  const greedy = prune(
    node,
    held,
    order.filter((a) => dp.has(a)),
  );
  const exact = exactMissing(node, held, order, greedy.length);
  return exact ?? greedy;
}

/** Tree DP: AND unions, OR takes the smallest child, threshold the k smallest children. */
function minimalMissing(n: PolicyNode, held: Set<string>): Set<string> {
  switch (n.kind) {
    case "attr":
      return held.has(n.name) ? new Set() : new Set([n.name]);
    case "and":
      return union(n.children.map((c) => minimalMissing(c, held)));
    case "or":
      return n.children.map((c) => minimalMissing(c, held)).reduce((a, b) => (b.size < a.size ? b : a));
    case "threshold": {
      const sets = n.children.map((c) => minimalMissing(c, held));
      sets.sort((a, b) => a.size - b.size); // stable: earlier children win ties
      return union(sets.slice(0, n.k));
    }
  }
}

function union(sets: Set<string>[]): Set<string> {
  const out = new Set<string>();
  for (const s of sets) for (const x of s) out.add(x);
  return out;
}

/** Drops attributes that are not needed given the rest (matters when attributes repeat). */
function prune(node: PolicyNode, held: Set<string>, chosen: string[]): string[] {
  let kept = chosen;
  for (const a of chosen) {
    const without = kept.filter((x) => x !== a);
    if (sat(node, new Set([...held, ...without]))) kept = without;
  }
  return kept;
}

/**
 * The first (in policy order) smallest subset, of size <= bound, of the missing attributes
 * that satisfies; null when the search budget runs out. Searching size = bound too makes the
 * answer depend only on what the policy means, not on how its tree is written.
 */
function exactMissing(node: PolicyNode, held: Set<string>, order: string[], bound: number): string[] | null {
  const candidates = order.filter((a) => !held.has(a));
  let budget = EXACT_SEARCH_BUDGET;
  for (let size = 1; size <= bound; size++) {
    const found = searchCombinations(candidates, size, (combo) => {
      if (--budget < 0) return "stop";
      return sat(node, new Set([...held, ...combo])) ? "found" : "next";
    });
    if (found === "stop") return null;
    if (found) return found;
  }
  return null;
}

/** Visits size-subsets of items in lexicographic order until visit says found or stop. */
function searchCombinations(items: string[], size: number, visit: (combo: string[]) => "found" | "next" | "stop"): string[] | "stop" | null {
  const idx = Array.from({ length: size }, (_, i) => i);
  if (size > items.length) return null;
  for (;;) {
    const combo = idx.map((i) => items[i]);
    const r = visit(combo);
    if (r === "found") return combo;
    if (r === "stop") return "stop";
    let j = size - 1;
    while (j >= 0 && idx[j] === items.length - size + j) j--;
    if (j < 0) return null;
    idx[j]++;
    for (let m = j + 1; m < size; m++) idx[m] = idx[m - 1] + 1;
  }
}
