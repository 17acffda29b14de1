/**
 * Edits a typed access policy from the policy builder's attribute chips without destroying the
 * structure the person typed: a chip adds its attribute with AND around what is there, or
 * removes every occurrence of it (gates left with one child collapse into it). Isomorphic, pure.
 */
import { formatPolicy, type PolicyNode } from "@/lib/abe";

export type Gate = "AND" | "OR" | "THRESHOLD";

/**
 * How a flat policy combines its attributes: a single attribute, or one gate over attributes
 * only. Null for a nested policy (groups inside groups): only its text says how they combine.
 */
export function flatGate(node: PolicyNode): { gate: Gate | null; k: number; attributes: string[] } | null {
  if (node.kind === "attr") return { gate: null, k: 1, attributes: [node.name] };
  if (!node.children.every((c) => c.kind === "attr")) return null;
  const attributes = node.children.map((c) => (c as { name: string }).name);
  if (node.kind === "threshold") return { gate: "THRESHOLD", k: node.k, attributes };
  return { gate: node.kind === "and" ? "AND" : "OR", k: 1, attributes };
}

/** Text of a flat list of attributes combined by `gate` (k of n for thresholds, clamped to 1..n). */
export function joinAttributes(attributes: string[], gate: Gate, k: number): string {
  if (attributes.length === 0) return "";
  if (attributes.length === 1) return attributes[0];
  if (gate === "THRESHOLD") return `${Math.min(Math.max(1, Math.trunc(k) || 1), attributes.length)} of (${attributes.join(", ")})`;
  return attributes.join(` ${gate} `);
}

/**
 * Adds `attribute` to the typed policy. A flat policy grows within its own gate (`a OR b` ->
 * `a OR b OR c`); any other policy keeps its text and is ANDed with the attribute, in
 * parentheses when its top gate is OR (`x AND (y OR z)` -> `x AND (y OR z) AND c`).
 */
export function addAttribute(text: string, node: PolicyNode | null, attribute: string, preferred: Gate = "AND", k = 2): string {
  if (!node) return attribute;
  const flat = flatGate(node);
  if (flat) {
    if (flat.attributes.includes(attribute)) return text;
    return joinAttributes([...flat.attributes, attribute], flat.gate ?? preferred, flat.gate === "THRESHOLD" ? flat.k : k);
  }
  const typed = text.trim();
  return node.kind === "or" ? `(${typed}) AND ${attribute}` : `${typed} AND ${attribute}`;
}

/** The policy without `attribute`, in canonical text ("" when nothing is left). */
export function removeAttribute(node: PolicyNode, attribute: string): string {
  const left = without(node, attribute);
  return left ? formatPolicy(left) : "";
}

function without(node: PolicyNode, attribute: string): PolicyNode | null {
  if (node.kind === "attr") return node.name === attribute ? null : node;
  const children = node.children.map((c) => without(c, attribute)).filter((c): c is PolicyNode => c !== null);
  if (children.length === 0) return null;
  if (node.kind === "threshold") {
    const k = Math.min(node.k, children.length);
    if (children.length === 1) return children[0];
    // k of n with k = n is AND, k = 1 is OR: the threshold stays a threshold otherwise
    return { kind: "threshold", k, children };
  }
  return children.length === 1 ? children[0] : { kind: node.kind, children };
}
