/**
 * Access policies: parsing, canonical text, plain-language reading, and compilation to a
 * linear secret-sharing scheme (LSSS) over Zr with the Lewko-Waters algorithm
 * (Lewko & Waters, "Decentralizing Attribute-Based Encryption", EUROCRYPT 2011, Appendix G),
 * extended with Shamir rows for threshold gates.
 *
 * Syntax (whitespace is free, keywords AND / OR / of are case-insensitive):
 *
 *   policy    := or
 *   or        := and ("OR" and)*
 *   and       := primary ("AND" primary)*          -- AND binds tighter than OR
 *   primary   := attribute | "(" policy ")" | threshold
 *   threshold := k "of" "(" policy ("," policy)* ")"    -- 1 <= k <= number of children
 *   attribute := AUTHORITY "." name               -- e.g. HA1.cardiology
 *
 * AUTHORITY and name both match [A-Za-z][A-Za-z0-9_-]* and are case-sensitive:
 * `HA1.Cardiology` and `HA1.cardiology` are different attributes. Whether an attribute exists
 * is not this module's business: the app checks `policyAttributes(...)` against its catalogue.
 *
 * Error positions (`PolicyError.position`) are 0-based string offsets (for underlining);
 * messages count characters from 1, as people do.
 *
 * @module
 */
import { bls12_381_Fr as Fr } from "@noble/curves/bls12-381.js";

// ---------------------------------------------------------------------------------------------
// Types and errors

/** A parsed access policy. Leaves are attributes; gates are AND, OR and k-of-n thresholds. */
export type PolicyNode =
  | { kind: "attr"; name: string }
  | { kind: "and"; children: PolicyNode[] }
  | { kind: "or"; children: PolicyNode[] }
  | { kind: "threshold"; k: number; children: PolicyNode[] };

export type PolicyErrorCode =
  | "POLICY_EMPTY"
  | "POLICY_SYNTAX"
  | "POLICY_THRESHOLD"
  | "POLICY_TOO_LARGE"
  | "POLICY_INVALID";

/** A policy that cannot be used, with a message a hospital user can act on. */
export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  /** 0-based offset into the policy text; -1 when the policy came as a tree, not text. */
  readonly position: number;
  constructor(code: PolicyErrorCode, message: string, position: number) {
    super(message);
    this.name = "PolicyError";
    this.code = code;
    this.position = position;
  }
}

/** Bounds that keep parsing, encryption and signing of one policy within seconds. */
export const POLICY_LIMITS = { maxLength: 4096, maxLeaves: 128, maxDepth: 32 } as const;

const NAME_PART = "[A-Za-z][A-Za-z0-9_-]*";
const ATTRIBUTE_RE = new RegExp(`^${NAME_PART}\\.${NAME_PART}$`);
const EXAMPLE = "an attribute like HA1.cardiology";

/** True for a well-formed `AUTHORITY.attribute` name. */
export function isAttributeName(name: string): boolean {
  return ATTRIBUTE_RE.test(name);
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenType = "word" | "number" | "(" | ")" | "," | "end";
type Token = { type: TokenType; text: string; pos: number };

function at(pos: number): string {
  return `at position ${pos + 1}`;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "(" || ch === ")" || ch === ",") {
      tokens.push({ type: ch, text: ch, pos: i });
      i++;
    } else if (/[0-9]/.test(ch)) {
      const m = /^[0-9]+/.exec(text.slice(i))![0];
      tokens.push({ type: "number", text: m, pos: i });
      i += m.length;
    } else if (/[A-Za-z]/.test(ch)) {
      // Take a maximal run so that "HA1.cardio!" reports the bad character, not a half name.
      const m = /^[A-Za-z0-9_.-]+/.exec(text.slice(i))![0];
      tokens.push({ type: "word", text: m, pos: i });
      i += m.length;
    } else {
      throw new PolicyError("POLICY_SYNTAX", unexpectedCharMessage(ch, i), i);
    }
  }
  tokens.push({ type: "end", text: "", pos: text.length });
  return tokens;
}

function unexpectedCharMessage(ch: string, pos: number): string {
  const hint =
    ch === "&" ? "; write AND" : ch === "|" ? "; write OR" : ch === "[" || ch === "{" ? '; use "(" and ")"' : "";
  return `unexpected character "${ch}" ${at(pos)}${hint}`;
}

// ---------------------------------------------------------------------------------------------
// Parser (recursive descent; builds a normalized tree, see normalizePolicy)

type ParserState = { tokens: Token[]; i: number; depth: number; leaves: number };

function peek(s: ParserState): Token {
  return s.tokens[s.i];
}

function isKeyword(t: Token, kw: "and" | "or" | "of"): boolean {
  return t.type === "word" && t.text.toLowerCase() === kw;
}

function describeToken(t: Token): string {
  return t.type === "end" ? "the end of the policy" : `"${t.text}"`;
}

function enter(s: ParserState, pos: number): void {
  if (++s.depth > POLICY_LIMITS.maxDepth) {
    throw new PolicyError(
      "POLICY_TOO_LARGE",
      `the policy nests deeper than ${POLICY_LIMITS.maxDepth} levels ${at(pos)}`,
      pos,
    );
  }
}

function parseOr(s: ParserState): PolicyNode {
  const children = [parseAnd(s)];
  while (isKeyword(peek(s), "or")) {
    s.i++;
    children.push(parseAnd(s));
  }
  return gate("or", children);
}

function parseAnd(s: ParserState): PolicyNode {
  const children = [parsePrimary(s)];
  while (isKeyword(peek(s), "and")) {
    s.i++;
    children.push(parsePrimary(s));
  }
  return gate("and", children);
}

function parsePrimary(s: ParserState): PolicyNode {
  const t = peek(s);
  if (t.type === "(") {
    enter(s, t.pos);
    s.i++;
    const inner = parseOr(s);
    expectClose(s, t);
    s.depth--;
    return inner;
  }
  if (t.type === "number") return parseThreshold(s);
  if (t.type === "word" && ATTRIBUTE_RE.test(t.text)) {
    s.i++;
    if (++s.leaves > POLICY_LIMITS.maxLeaves) {
      throw new PolicyError(
        "POLICY_TOO_LARGE",
        `the policy names more than ${POLICY_LIMITS.maxLeaves} attributes ${at(t.pos)}`,
        t.pos,
      );
    }
    return { kind: "attr", name: t.text };
  }
  throw new PolicyError("POLICY_SYNTAX", expectedAttributeMessage(t), t.pos);
}

function expectedAttributeMessage(t: Token): string {
  if (t.type === "word") {
    if (["and", "or", "of"].includes(t.text.toLowerCase())) {
      return `expected ${EXAMPLE} ${at(t.pos)}, found the keyword "${t.text}"`;
    }
    if (!t.text.includes(".")) {
      return `"${t.text}" ${at(t.pos)} is not a full attribute name: expected ${EXAMPLE} (AUTHORITY.attribute)`;
    }
    return `"${t.text}" ${at(t.pos)} is not a valid attribute name: expected ${EXAMPLE} (letters, digits, "_" or "-", one dot)`;
  }
  return `expected ${EXAMPLE} ${at(t.pos)}, found ${describeToken(t)}`;
}

function expectClose(s: ParserState, open: Token): void {
  const t = peek(s);
  if (t.type !== ")") {
    throw new PolicyError(
      "POLICY_SYNTAX",
      `expected ")" to close the "(" ${at(open.pos)}, found ${describeToken(t)} ${at(t.pos)}`,
      t.pos,
    );
  }
  s.i++;
}

function parseThreshold(s: ParserState): PolicyNode {
  const num = peek(s);
  s.i++;
  const of = peek(s);
  if (!isKeyword(of, "of")) {
    throw new PolicyError(
      "POLICY_SYNTAX",
      `expected "of" after the number ${num.text} ${at(of.pos)}, as in "2 of (HA1.cardiology, HA1.oncology, HA2.researcher)"`,
      of.pos,
    );
  }
  s.i++;
  const open = peek(s);
  if (open.type !== "(") {
    throw new PolicyError(
      "POLICY_SYNTAX",
      `expected "(" with a comma-separated list after "${num.text} ${of.text}" ${at(open.pos)}`,
      open.pos,
    );
  }
  enter(s, open.pos);
  s.i++;
  const children = [parseOr(s)];
  while (peek(s).type === ",") {
    s.i++;
    children.push(parseOr(s));
  }
  expectClose(s, open);
  s.depth--;
  // Long digit strings stay text in the message; as numbers they are simply too big.
  const k = num.text.length > 6 ? Number.MAX_SAFE_INTEGER : Number(num.text);
  checkThreshold(k, children.length, num.pos, num.text.replace(/^0+(?=\d)/, ""));
  return { kind: "threshold", k, children };
}

function checkThreshold(k: number, n: number, pos: number, shown: string = String(k)): void {
  const where = pos >= 0 ? `${at(pos)} ` : "";
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new PolicyError("POLICY_THRESHOLD", `threshold ${shown} of ${n} ${where}must require at least 1`, pos);
  }
  if (k > n) {
    throw new PolicyError(
      "POLICY_THRESHOLD",
      `threshold ${shown} of ${n} ${where}is impossible: only ${n} ${n === 1 ? "option is" : "options are"} listed`,
      pos,
    );
  }
}

/** Builds an AND/OR gate, flattening same-kind children (AND and OR are associative). */
function gate(kind: "and" | "or", children: PolicyNode[]): PolicyNode {
  if (children.length === 1) return children[0];
  const flat: PolicyNode[] = [];
  for (const c of children) {
    if (c.kind === kind) flat.push(...c.children);
    else flat.push(c);
  }
  return { kind, children: flat };
}

/**
 * Parses policy text into a normalized tree. Throws PolicyError with a position and a
 * readable message on any mistake.
 */
export function parsePolicy(text: string): PolicyNode {
  if (text.length > POLICY_LIMITS.maxLength) {
    throw new PolicyError(
      "POLICY_TOO_LARGE",
      `the policy is longer than ${POLICY_LIMITS.maxLength} characters`,
      POLICY_LIMITS.maxLength,
    );
  }
  const tokens = tokenize(text);
  if (tokens.length === 1) {
    throw new PolicyError(
      "POLICY_EMPTY",
      "the policy is empty: write attributes like HA1.cardiology joined by AND / OR",
      0,
    );
  }
  const s: ParserState = { tokens, i: 0, depth: 0, leaves: 0 };
  const node = parseOr(s);
  const t = peek(s);
  if (t.type !== "end") {
    const msg =
      t.type === ")"
        ? `unmatched ")" ${at(t.pos)}`
        : `expected AND, OR or the end of the policy ${at(t.pos)}, found ${describeToken(t)}`;
    throw new PolicyError("POLICY_SYNTAX", msg, t.pos);
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// Trees given by code: validation and normalization

function invalid(message: string): PolicyError {
  return new PolicyError("POLICY_INVALID", message, -1);
}

/**
 * Checks a tree built by code (not by parsePolicy): names, gate arity, thresholds and size
 * limits. The depth bound also stops cyclic objects.
 */
export function assertPolicyNode(node: unknown): asserts node is PolicyNode {
  let leaves = 0;
  const visit = (n: unknown, depth: number): void => {
    if (depth > POLICY_LIMITS.maxDepth) {
      throw new PolicyError("POLICY_TOO_LARGE", `the policy nests deeper than ${POLICY_LIMITS.maxDepth} levels`, -1);
    }
    if (typeof n !== "object" || n === null) throw invalid("a policy node must be an object");
    const o = n as Record<string, unknown>;
    if (o.kind === "attr") {
      if (typeof o.name !== "string" || !ATTRIBUTE_RE.test(o.name)) {
        throw invalid(`"${String(o.name)}" is not a valid attribute name: expected ${EXAMPLE}`);
      }
      if (++leaves > POLICY_LIMITS.maxLeaves) {
        throw new PolicyError("POLICY_TOO_LARGE", `the policy names more than ${POLICY_LIMITS.maxLeaves} attributes`, -1);
      }
      return;
    }
    if (o.kind !== "and" && o.kind !== "or" && o.kind !== "threshold") {
      throw invalid(`unknown policy node kind "${String(o.kind)}"`);
    }
    if (!Array.isArray(o.children) || o.children.length === 0) {
      throw invalid(`a ${o.kind} gate needs at least one child`);
    }
    if (o.kind === "threshold") checkThreshold(o.k as number, o.children.length, -1);
    for (const c of o.children) visit(c, depth + 1);
  };
  visit(node, 0);
}

/**
 * The normal form parsePolicy produces: single-child AND/OR replaced by the child, nested
 * same-kind AND/OR flattened. Child order and thresholds are kept as written.
 */
export function normalizePolicy(node: PolicyNode): PolicyNode {
  switch (node.kind) {
    case "attr":
      return { kind: "attr", name: node.name };
    case "threshold":
      return { kind: "threshold", k: node.k, children: node.children.map(normalizePolicy) };
    default:
      return gate(node.kind, node.children.map(normalizePolicy));
  }
}

/** Accepts policy text or a tree and returns a validated, normalized tree. */
export function resolvePolicy(policy: string | PolicyNode): PolicyNode {
  if (typeof policy === "string") return parsePolicy(policy);
  assertPolicyNode(policy);
  return normalizePolicy(policy);
}

// ---------------------------------------------------------------------------------------------
// Text, attributes, reading

/**
 * Canonical text: keywords upper-case, "of" lower-case, single spaces, parentheses around an
 * AND inside an OR (not needed by the grammar, but people misread "a AND b OR c").
 * parsePolicy(formatPolicy(x)) deep-equals normalizePolicy(x).
 */
export function formatPolicy(node: PolicyNode): string {
  assertPolicyNode(node);
  return formatNode(normalizePolicy(node));
}

function formatNode(n: PolicyNode): string {
  switch (n.kind) {
    case "attr":
      return n.name;
    case "threshold":
      return `${n.k} of (${n.children.map(formatNode).join(", ")})`;
    case "and":
      return n.children.map((c) => (c.kind === "or" ? `(${formatNode(c)})` : formatNode(c))).join(" AND ");
    case "or":
      return n.children.map((c) => (c.kind === "and" ? `(${formatNode(c)})` : formatNode(c))).join(" OR ");
  }
}

/** Attributes in order of first appearance (LSSS row order), each once. */
export function policyAttributes(node: PolicyNode): string[] {
  const seen = new Set<string>();
  for (const name of policyLeaves(node)) seen.add(name);
  return [...seen];
}

/** Leaf attribute names in depth-first order, with repeats: one per LSSS row. */
export function policyLeaves(node: PolicyNode): string[] {
  if (node.kind === "attr") return [node.name];
  return node.children.flatMap(policyLeaves);
}

/**
 * Plain-language reading, e.g.
 * "holders of HA1.cardiology and (HA1.researcher or HA2.oncology)".
 */
export function describePolicy(node: PolicyNode): string {
  assertPolicyNode(node);
  return `holders of ${describeNode(normalizePolicy(node))}`;
}

function describeNode(n: PolicyNode): string {
  switch (n.kind) {
    case "attr":
      return n.name;
    case "and":
      return n.children.map((c) => (c.kind === "or" ? `(${describeNode(c)})` : describeNode(c))).join(" and ");
    case "or":
      return n.children.map((c) => (c.kind === "and" ? `(${describeNode(c)})` : describeNode(c))).join(" or ");
    case "threshold": {
      const list = n.children.map(describeNode).join(", ");
      const n_ = n.children.length;
      if (n_ === 1) return describeNode(n.children[0]);
      if (n.k === n_) return `all of (${list})`;
      if (n.k === 1) return `any of (${list})`;
      return `at least ${n.k} of (${list})`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Satisfaction and what is missing

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
  const greedy = prune(node, held, order.filter((a) => dp.has(a)));
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
function searchCombinations(
  items: string[],
  size: number,
  visit: (combo: string[]) => "found" | "next" | "stop",
): string[] | "stop" | null {
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

// ---------------------------------------------------------------------------------------------
// LSSS (Lewko-Waters) over Zr

/** r, the order of the BLS12-381 groups; all LSSS arithmetic is mod r. */
export const CURVE_ORDER: bigint = Fr.ORDER;

/**
 * An LSSS (M, rho): row x of M belongs to attribute rho[x]; entries are reduced into [0, r).
 * Shares of a secret s are lambda_x = M_x . v for v = (s, v2, ..., vl).
 * `policy` is the normalized tree the rows were compiled from (row x = x-th leaf in
 * depth-first order); reconstruct uses it to pick few rows.
 */
export type Lsss = { M: bigint[][]; rho: string[]; policy?: PolicyNode };

/** How a gate is compiled: 1-of-n is an OR and n-of-n an AND (both cheaper than Shamir rows). */
function gateShape(n: Exclude<PolicyNode, { kind: "attr" }>): "and" | "or" | "shamir" {
  if (n.kind !== "threshold") return n.kind;
  if (n.k === 1) return "or";
  if (n.k === n.children.length) return "and";
  return "shamir";
}

/**
 * Lewko-Waters: the root gets (1); OR children copy the parent vector; AND children get
 * v||1, (0..)||-1||1, ..., (0..)||-1 in fresh columns (n-ary AND = nested binary ANDs);
 * a k-of-n gate gives child j the vector v||(j, j^2, ..., j^(k-1)) in k-1 fresh columns, so
 * the child shares are f(j) for a random f of degree k-1 with f(0) the parent share.
 */
export function compileLsss(node: PolicyNode | string): Lsss {
  const policy = resolvePolicy(node);
  const rows: { name: string; vec: Map<number, bigint> }[] = [];
  let columns = 1;
  const visit = (n: PolicyNode, v: Map<number, bigint>): void => {
    if (n.kind === "attr") {
      rows.push({ name: n.name, vec: v });
      return;
    }
    const shape = gateShape(n);
    const kids = n.children;
    if (shape === "or") {
      for (const c of kids) visit(c, v);
    } else if (shape === "and") {
      const first = columns;
      columns += kids.length - 1;
      kids.forEach((c, i) => {
        const u = i === 0 ? new Map(v) : new Map<number, bigint>();
        if (i > 0) u.set(first + i - 1, Fr.neg(1n));
        if (i < kids.length - 1) u.set(first + i, 1n);
        visit(c, u);
      });
    } else {
      const k = n.kind === "threshold" ? n.k : kids.length;
      const first = columns;
      columns += k - 1;
      kids.forEach((c, i) => {
        const j = BigInt(i + 1);
        const u = new Map(v);
        let p = 1n;
        for (let t = 0; t < k - 1; t++) {
          p = Fr.mul(p, j);
          u.set(first + t, p);
        }
        visit(c, u);
      });
    }
  };
  visit(policy, new Map([[0, 1n]]));
  const M = rows.map((row) => Array.from({ length: columns }, (_, col) => row.vec.get(col) ?? 0n));
  return { M, rho: rows.map((r) => r.name), policy };
}

/** lambda_x = M_x . v mod r for every row: the shares of v[0]. */
export function lsssShares(lsss: Lsss, v: readonly bigint[]): bigint[] {
  return lsss.M.map((row) => dot(row, v));
}

function dot(row: readonly bigint[], v: readonly bigint[]): bigint {
  let acc = 0n;
  for (let i = 0; i < row.length; i++) if (row[i] !== 0n) acc = Fr.add(acc, Fr.mul(row[i], v[i] ?? 0n));
  return acc;
}

/** Coefficients c_x with sum over rows of c_x M_x = (1, 0, ..., 0) mod r. */
export type Reconstruction = { rows: number[]; coeffs: bigint[] };

/**
 * Reconstruction coefficients from rows whose attribute is held, or null when the attributes
 * do not satisfy the policy. With the policy tree (as compileLsss returns) this picks a
 * satisfying set with the fewest rows (fewest pairings); without it, Gaussian elimination.
 */
export function reconstruct(lsss: Lsss, attrs: Iterable<string>): Reconstruction | null {
  const held = toSet(attrs);
  if (lsss.policy !== undefined) {
    const plan = planRows(lsss.policy, held, { next: 0 });
    if (plan === null) return null;
    const order = [...plan.entries()].sort((a, b) => a[0] - b[0]);
    return { rows: order.map((e) => e[0]), coeffs: order.map((e) => e[1]) };
  }
  return solveLinear(lsss, held);
}

type RowPlan = Map<number, bigint>; // row index -> coefficient

/**
 * Cheapest satisfying rows under node n (row numbers from cursor), with coefficients that
 * rebuild n's vector: AND children all with coefficient 1, OR one child, Shamir rows the
 * Lagrange coefficients at 0 of the chosen k children. Returns null when unsatisfied.
 */
function planRows(n: PolicyNode, held: Set<string>, cursor: { next: number }): RowPlan | null {
  if (n.kind === "attr") {
    const row = cursor.next++;
    return held.has(n.name) ? new Map([[row, 1n]]) : null;
  }
  const plans = n.children.map((c) => planRows(c, held, cursor));
  const shape = gateShape(n);
  if (shape === "and") return plans.every((p) => p !== null) ? mergePlans(plans as RowPlan[], plans.map(() => 1n)) : null;
  const k = shape === "or" ? 1 : n.kind === "threshold" ? n.k : n.children.length;
  const ok = plans
    .map((p, i) => ({ p, j: i + 1 }))
    .filter((e): e is { p: RowPlan; j: number } => e.p !== null)
    .sort((a, b) => a.p.size - b.p.size || a.j - b.j)
    .slice(0, k);
  if (ok.length < k) return null;
  if (shape === "or") return ok[0].p;
  const xs = ok.map((e) => BigInt(e.j));
  return mergePlans(
    ok.map((e) => e.p),
    xs.map((_, i) => lagrangeAtZero(xs, i)),
  );
}

function mergePlans(plans: RowPlan[], scale: bigint[]): RowPlan {
  const out: RowPlan = new Map();
  plans.forEach((p, i) => {
    for (const [row, c] of p) out.set(row, Fr.add(out.get(row) ?? 0n, Fr.mul(c, scale[i])));
  });
  return out;
}

/** L_i(0) = prod_{m != i} x_m / (x_m - x_i) mod r: Lagrange coefficient at 0. */
export function lagrangeAtZero(xs: readonly bigint[], i: number): bigint {
  let num = 1n;
  let den = 1n;
  for (let m = 0; m < xs.length; m++) {
    if (m === i) continue;
    num = Fr.mul(num, xs[m]);
    den = Fr.mul(den, Fr.sub(xs[m], xs[i]));
  }
  return Fr.div(num, den);
}

/**
 * Solves sum_{x in S} c_x M_x = (1,0,...,0) over the held rows S by Gauss-Jordan elimination
 * mod r; free unknowns are set to 0, so at most rank(M_S) rows are used.
 */
function solveLinear(lsss: Lsss, held: Set<string>): Reconstruction | null {
  const S = lsss.rho.flatMap((name, x) => (held.has(name) ? [x] : []));
  const cols = lsss.M[0]?.length ?? 0;
  // Augmented system A c = e1: one equation per column of M, one unknown per held row.
  const A: bigint[][] = Array.from({ length: cols }, (_, j) => [
    ...S.map((x) => Fr.create(lsss.M[x][j] ?? 0n)),
    j === 0 ? 1n : 0n,
  ]);
  const pivots: number[] = []; // pivots[r] = unknown whose pivot is in equation r
  let r = 0;
  for (let u = 0; u < S.length && r < cols; u++) {
    const p = A.findIndex((eq, i) => i >= r && eq[u] !== 0n);
    if (p < 0) continue;
    [A[r], A[p]] = [A[p], A[r]];
    const inv = Fr.inv(A[r][u]);
    A[r] = A[r].map((a) => Fr.mul(a, inv));
    for (let i = 0; i < cols; i++) {
      if (i === r || A[i][u] === 0n) continue;
      const f = A[i][u];
      A[i] = A[i].map((a, col) => Fr.sub(a, Fr.mul(f, A[r][col])));
    }
    pivots.push(u);
    r++;
  }
  // Consistent iff no remaining equation reads 0 = nonzero.
  for (let i = r; i < cols; i++) if (A[i][S.length] !== 0n) return null;
  const out: Reconstruction = { rows: [], coeffs: [] };
  pivots.forEach((u, i) => {
    const c = A[i][S.length];
    if (c !== 0n) {
      out.rows.push(S[u]);
      out.coeffs.push(c);
    }
  });
  const order = out.rows.map((_, i) => i).sort((a, b) => out.rows[a] - out.rows[b]);
  return { rows: order.map((i) => out.rows[i]), coeffs: order.map((i) => out.coeffs[i]) };
}
