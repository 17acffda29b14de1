/**
 * Access policies as text: the grammar, parsing with errors a hospital user can act on,
 * validation of trees that arrive as data, canonical text and plain-language reading.
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

// ---------------------------------------------------------------------------------------------
// Types and errors

/** A parsed access policy. Leaves are attributes; gates are AND, OR and k-of-n thresholds. */
export type PolicyNode =
  | { kind: "attr"; name: string }
  | { kind: "and"; children: PolicyNode[] }
  | { kind: "or"; children: PolicyNode[] }
  | { kind: "threshold"; k: number; children: PolicyNode[] };

export type PolicyErrorCode = "POLICY_EMPTY" | "POLICY_SYNTAX" | "POLICY_THRESHOLD" | "POLICY_TOO_LARGE" | "POLICY_INVALID";

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
  const hint = ch === "&" ? "; write AND" : ch === "|" ? "; write OR" : ch === "[" || ch === "{" ? '; use "(" and ")"' : "";
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
    throw new PolicyError("POLICY_TOO_LARGE", `the policy nests deeper than ${POLICY_LIMITS.maxDepth} levels ${at(pos)}`, pos);
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
      throw new PolicyError("POLICY_TOO_LARGE", `the policy names more than ${POLICY_LIMITS.maxLeaves} attributes ${at(t.pos)}`, t.pos);
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
    throw new PolicyError("POLICY_SYNTAX", `expected ")" to close the "(" ${at(open.pos)}, found ${describeToken(t)} ${at(t.pos)}`, t.pos);
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
    throw new PolicyError("POLICY_SYNTAX", `expected "(" with a comma-separated list after "${num.text} ${of.text}" ${at(open.pos)}`, open.pos);
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
    throw new PolicyError("POLICY_TOO_LARGE", `the policy is longer than ${POLICY_LIMITS.maxLength} characters`, POLICY_LIMITS.maxLength);
  }
  const tokens = tokenize(text);
  if (tokens.length === 1) {
    throw new PolicyError("POLICY_EMPTY", "the policy is empty: write attributes like HA1.cardiology joined by AND / OR", 0);
  }
  const s: ParserState = { tokens, i: 0, depth: 0, leaves: 0 };
  const node = parseOr(s);
  const t = peek(s);
  if (t.type !== "end") {
    const msg = t.type === ")" ? `unmatched ")" ${at(t.pos)}` : `expected AND, OR or the end of the policy ${at(t.pos)}, found ${describeToken(t)}`;
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
