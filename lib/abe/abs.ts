/**
 * Attribute-based signatures (Module 4): a Fiat-Shamir signature of knowledge of Lewko-Waters
 * attribute keys that satisfy a policy.
 *
 * Relation per attribute i (the ABE keys themselves; nothing new is issued):
 *   SIK_{i,GID} = g2^alpha_i * H(GID)^gamma_i,  VK_i = (E_i = e(g1,g2)^alpha_i, G_i = g1^gamma_i),
 *   e(g1, SIK_{i,GID}) = E_i * e(G_i, H(GID)) =: Y_i        (public, from VK_i and GID).
 * K -> e(g1, K) is a homomorphism G2 -> GT, so a Schnorr proof of a preimage of Y_i works:
 * commit R = e(g1, T), challenge c, respond Z = T + c*SIK; check e(g1, Z) = R * Y_i^c.
 *
 * Leaf proofs are composed over the policy tree as in Cramer-Damgard-Schoenmakers
 * (CRYPTO '94): AND children share the parent challenge, OR children's challenges sum to it,
 * the n children of a k-of-n gate get f(1..n) for a polynomial f of degree n-k with f(0) the
 * parent challenge. Leaves the signer cannot prove are simulated (random c_x and Z_x,
 * R_x = e(g1, Z_x) / Y_x^c_x), so a signature hides which satisfying set was used
 * (witness indistinguishability). Fiat-Shamir: the root challenge is
 * c = H_c(message, canonical policy, GID, VKs, R_1..R_n).
 *
 * Signature = (policyId, c_x and Z_x for every leaf x in canonical leaf order). The verifier
 * recomputes R_x = e(g1, Z_x) * Y_x^(-c_x), checks the challenges up the tree and the hash.
 *
 * Replay and expiry are the app's job: it signs a message holding the request id, a nonce and
 * a timestamp, and checks those itself. This module binds a signature to exactly
 * (message, policy, GID, VKs) and to nothing else.
 *
 * Side channels: nonces (t_x, and the simulated z_x: which leaves are simulated is what the
 * signature hides) only meet constant-time paths: noble's `multiply` for g2^t and the
 * fixed-sequence, masked-lookup comb of e(g1,g2) for e(g1,g2)^t (group.ts eggPowSecret). JS BigInt
 * arithmetic itself is not constant-time (see noble's notes). Signing runs in the user's own
 * browser.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { AbeError } from "./errors";
import { ObjectType, bytesEqual, concatBytes, decodeObject, encodeObject, utf8 } from "./codec";
import {
  type G1,
  type G2,
  type G2Prepared,
  type GT,
  type Rng,
  G1Points,
  G2Points,
  R as ORDER,
  decodeFr,
  decodeG2,
  defaultRng,
  eggPowSecret,
  encodeFr,
  encodeG1,
  encodeG2,
  encodeGT,
  frAdd,
  frInv,
  frMul,
  frNeg,
  frSub,
  g1,
  g2,
  gtMul,
  gtPow,
  hashGid,
  hashToFr,
  mulG1Cached,
  mulG2,
  multiPair,
  prepareG2,
  randomFr,
} from "./group";
import { POLICY_LIMITS, type PolicyNode, explainMissing, formatPolicy, policyAttributes, policyLeaves, resolvePolicy, satisfies } from "./policy";
import type { AttributeVk, UserKeys } from "./types";

// ---------------------------------------------------------------------------------------------
// Types

/** The part of VK_i that ABS needs: (e(g1,g2)^alpha_i, g1^gamma_i); an AttributeVk fits. */
export type AbsVerificationKey = Pick<AttributeVk, "eggAlpha" | "g1Gamma">;

/** Attribute name -> value, as a Map or a plain object. */
export type AttributeMap<T> = ReadonlyMap<string, T> | Readonly<Record<string, T>>;

/** VKs by attribute name, or a list of AttributeVk (indexed by their `attribute`). */
export type AbsVkInput = AttributeMap<AbsVerificationKey> | readonly AttributeVk[];

export type AbsSignature = {
  /** 16-byte fingerprint of the canonical policy: tells "signed for another policy" apart. */
  policyId: Uint8Array;
  /** c_x, the challenge of leaf x (leaves in canonical depth-first order, as LSSS rows). */
  c: bigint[];
  /** Z_x = T_x + c_x SIK_x for proven leaves, uniformly random for simulated ones. */
  Z: G2[];
};

export type AbsSignArgs = {
  message: Uint8Array;
  policy: string | PolicyNode;
  gid: string;
  /** SIK_{i,GID} per attribute (or the user's UserKeys for this GID). Extra keys are ignored. */
  keys: AttributeMap<G2> | UserKeys;
  vks: AbsVkInput;
  /** Randomness source (tests); defaults to the platform CSPRNG. */
  rng?: Rng;
};

export type AbsVerifyArgs = {
  message: Uint8Array;
  policy: string | PolicyNode;
  gid: string;
  /** A decoded signature, or its bytes (preferred for untrusted input: decoding checks points). */
  signature: AbsSignature | Uint8Array;
  vks: AbsVkInput;
};

export type AbsFailureReason = "MALFORMED" | "UNKNOWN_ATTRIBUTE" | "POLICY_MISMATCH" | "BAD_SIGNATURE";
export type AbsVerifyResult = { ok: true } | { ok: false; reason: AbsFailureReason };

// ---------------------------------------------------------------------------------------------
// Domain tags

const DST_CHALLENGE = "MEDSHARE-V1-ABS-CHALLENGE";
const POLICY_ID_TAG = "MEDSHARE-V1-ABS-POLICY-ID:";
const POLICY_ID_LEN = 16;
const FR_LEN = 32;
const G2_LEN = 96;

// ---------------------------------------------------------------------------------------------
// The statement both sides prove / check: policy, GID and the VKs of the policy's attributes

type Statement = {
  policy: PolicyNode;
  canonical: string;
  policyId: Uint8Array;
  /** rho: attribute of each leaf, canonical order. */
  leaves: string[];
  /** Distinct attributes, order of first appearance. */
  attrs: string[];
  vks: Map<string, AbsVerificationKey>;
  gid: string;
  /** H(GID) with its Miller-loop lines, shared by every leaf. */
  H: G2Prepared;
};

function toMap<T>(m: AttributeMap<T>): Map<string, T> {
  if (m instanceof Map) return m as Map<string, T>;
  if (typeof m !== "object" || m === null) throw new AbeError("INVALID_ARGUMENT", "expected a Map or an object of attributes");
  return new Map(Object.entries(m as Record<string, T>));
}

function vkInputMap(vks: AbsVkInput): Map<string, AbsVerificationKey> {
  if (!Array.isArray(vks)) return toMap(vks as AttributeMap<AbsVerificationKey>);
  return new Map((vks as readonly AttributeVk[]).map((vk) => [vk?.attribute, vk] as const));
}

function isUserKeys(k: unknown): k is UserKeys {
  return typeof k === "object" && k !== null && !(k instanceof Map) && (k as UserKeys).keys instanceof Map && typeof (k as UserKeys).gid === "string";
}

/** The signer's keys as a map; UserKeys must belong to the signing GID. */
function keyMap(keys: AttributeMap<G2> | UserKeys, gid: string): Map<string, G2> {
  if (!isUserKeys(keys)) return toMap(keys);
  if (keys.gid !== gid) throw new AbeError("INVALID_ARGUMENT", "these keys were issued to another GID");
  return new Map(keys.keys);
}

function isVk(vk: unknown): vk is AbsVerificationKey {
  if (typeof vk !== "object" || vk === null) return false;
  const { eggAlpha, g1Gamma } = vk as Partial<AbsVerificationKey>;
  return g1Gamma instanceof G1Points && typeof eggAlpha === "object" && eggAlpha !== null && "c0" in eggAlpha && "c1" in eggAlpha;
}

/** SHA-256 of the canonical policy text, first 16 bytes. */
export function absPolicyId(policy: string | PolicyNode): Uint8Array {
  return sha256(utf8.encode(POLICY_ID_TAG + formatPolicy(resolvePolicy(policy)))).slice(0, POLICY_ID_LEN);
}

/** Missing VKs are reported through `onMissing` (sign and verify react differently). */
function statement(policyInput: string | PolicyNode, gid: string, vkInput: AbsVkInput, onMissing: (attrs: string[]) => never): Statement {
  const policy = resolvePolicy(policyInput);
  const canonical = formatPolicy(policy);
  const attrs = policyAttributes(policy);
  const all = vkInputMap(vkInput);
  const missing = attrs.filter((a) => !all.has(a));
  if (missing.length > 0) onMissing(missing);
  const vks = new Map<string, AbsVerificationKey>();
  for (const a of attrs) {
    const vk = all.get(a);
    if (!isVk(vk)) throw new AbeError("INVALID_ARGUMENT", `verification key for ${a} is not { eggAlpha, g1Gamma }`);
    vks.set(a, vk);
  }
  return {
    policy,
    canonical,
    policyId: sha256(utf8.encode(POLICY_ID_TAG + canonical)).slice(0, POLICY_ID_LEN),
    leaves: policyLeaves(policy),
    attrs,
    vks,
    gid,
    H: prepareG2(hashGid(gid)),
  };
}

/** c = H_c(message, canonical policy, GID, (attribute, E_i, G_i) per attribute, R_1..R_n). */
function rootChallenge(st: Statement, message: Uint8Array, R: GT[]): bigint {
  const vkParts = st.attrs.flatMap((a) => {
    const vk = st.vks.get(a)!;
    return [utf8.encode(a), encodeGT(vk.eggAlpha), encodeG1(vk.g1Gamma)];
  });
  return hashToFr(DST_CHALLENGE, message, utf8.encode(st.canonical), utf8.encode(st.gid), ...vkParts, ...R.map(encodeGT));
}

// ---------------------------------------------------------------------------------------------
// Y_i = E_i * e(G_i, H(GID)): an explicit, bounded precomputation cache

const Y_CACHE_MAX = 1024;
/** A Y value, or "seen" once: Y is only worth its pairing for (attribute, GID) pairs that recur. */
const yCache = new Map<string, GT | "seen">();

function yCacheKey(st: Statement, attr: string): string {
  const vk = st.vks.get(attr)!;
  // Keyed by the VK's bytes, not its name alone, so a rotated VK never meets a stale Y.
  const vkDigest = sha256(concatBytes(encodeG1(vk.g1Gamma), encodeGT(vk.eggAlpha)));
  return `${st.gid}\u0000${attr}\u0000${Array.from(vkDigest, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function cachedY(st: Statement, attr: string): GT | null {
  const key = yCacheKey(st, attr);
  const hit = yCache.get(key);
  if (hit !== undefined && hit !== "seen") return hit;
  if (hit === undefined) {
    if (yCache.size >= Y_CACHE_MAX) yCache.delete(yCache.keys().next().value as string);
    yCache.set(key, "seen");
    return null;
  }
  const vk = st.vks.get(attr)!;
  const Y = gtMul(vk.eggAlpha, multiPair([[vk.g1Gamma, st.H]]));
  yCache.set(key, Y);
  return Y;
}

/**
 * e(extra) * Y_attr^(-c): with a cached Y one GT power; otherwise folded into one multi-pairing
 * as e(extra) * e(-c G_i, H(GID)) * E_i^(-c), so a leaf costs one final exponentiation.
 */
function timesYInverse(st: Statement, attr: string, c: bigint, extra: readonly [G1, G2] | null): GT {
  const minusC = frNeg(c);
  const Y = cachedY(st, attr);
  if (Y !== null) {
    const r = gtPow(Y, minusC);
    return extra ? gtMul(multiPair([extra]), r) : r;
  }
  const vk = st.vks.get(attr)!;
  const pairs: (readonly [G1, G2 | G2Prepared])[] = [[mulG1Cached(vk.g1Gamma, minusC), st.H]];
  if (extra) pairs.unshift(extra);
  return gtMul(multiPair(pairs), gtPow(vk.eggAlpha, minusC));
}

/** Test hook: forget cached Y values. */
export function clearAbsCache(): void {
  yCache.clear();
}

// ---------------------------------------------------------------------------------------------
// Polynomial helpers over Zr (threshold gates)

/** L_i(at) = prod_{m != i} (at - x_m) / (x_i - x_m). */
function lagrangeAt(xs: readonly bigint[], i: number, at: bigint): bigint {
  let num = 1n;
  let den = 1n;
  for (let m = 0; m < xs.length; m++) {
    if (m === i) continue;
    num = frMul(num, frSub(at, xs[m]));
    den = frMul(den, frSub(xs[i], xs[m]));
  }
  return frMul(num, frInv(den));
}

/** f(at) for the unique polynomial of degree < |points| through the points. */
function interpolate(points: readonly (readonly [bigint, bigint])[], at: bigint): bigint {
  const xs = points.map((p) => p[0]);
  return points.reduce((acc, [, y], i) => frAdd(acc, frMul(y, lagrangeAt(xs, i, at))), 0n);
}

/** Children's indices 1..n as field elements. */
const indices = (n: number): bigint[] => Array.from({ length: n }, (_, j) => BigInt(j + 1));

// ---------------------------------------------------------------------------------------------
// Signing

/** Leaf node -> its row number (depth-first order). */
function leafNumbers(policy: PolicyNode): Map<PolicyNode, number> {
  const out = new Map<PolicyNode, number>();
  const visit = (n: PolicyNode): void => {
    if (n.kind === "attr") out.set(n, out.size);
    else n.children.forEach(visit);
  };
  visit(policy);
  return out;
}

type SignState = {
  st: Statement;
  rng: Rng;
  held: Set<string>;
  keys: Map<string, G2>;
  row: Map<PolicyNode, number>;
  /** Challenge fixed in advance for each simulated child of a proven gate. */
  simulated: Map<PolicyNode, bigint>;
  /** t_x for proven leaves. */
  nonce: Map<number, bigint>;
  c: bigint[];
  Z: G2[];
};

// Own copy of g2 with a window table, multiplied with noble's constant-time `multiply` (nonces).
const g2Nonce: G2 = new G2Points(g2.X, g2.Y, g2.Z).precompute(8, true);

/**
 * Decides what to prove: the root and, below a proven gate, all AND children, one satisfied
 * OR child, k satisfied threshold children. Every other child is simulated with a random
 * challenge spread down its subtree.
 */
function chooseProven(s: SignState, n: PolicyNode): void {
  if (n.kind === "attr") {
    s.nonce.set(s.row.get(n)!, randomFr(s.rng));
    return;
  }
  const need = n.kind === "and" ? n.children.length : n.kind === "or" ? 1 : n.k;
  let proven = 0;
  for (const child of n.children) {
    if (proven < need && satisfies(child, s.held)) {
      proven++;
      chooseProven(s, child);
    } else {
      const c = randomFr(s.rng);
      s.simulated.set(child, c);
      spreadSimulated(s, child, c);
    }
  }
}

/** Distributes challenge c over a simulated subtree with the same law a real proof has. */
function spreadSimulated(s: SignState, n: PolicyNode, c: bigint): void {
  switch (n.kind) {
    case "attr":
      s.c[s.row.get(n)!] = c;
      return;
    case "and":
      for (const child of n.children) spreadSimulated(s, child, c);
      return;
    case "or": {
      let rest = c;
      n.children.forEach((child, j) => {
        const cj = j === n.children.length - 1 ? rest : randomFr(s.rng);
        rest = frSub(rest, cj);
        spreadSimulated(s, child, cj);
      });
      return;
    }
    case "threshold": {
      // Random f of degree n-k with f(0) = c: fix it by n-k random values at 1..n-k.
      const free = n.children.length - n.k;
      const points: [bigint, bigint][] = [[0n, c]];
      for (let j = 1; j <= free; j++) points.push([BigInt(j), randomFr(s.rng)]);
      n.children.forEach((child, j) => spreadSimulated(s, child, interpolate(points, BigInt(j + 1))));
      return;
    }
  }
}

/** R_x: e(g1,g2)^t for proven leaves; e(g1, Z_x) * Y^(-c_x) with Z_x = g2^z for simulated ones. */
function commitments(s: SignState): GT[] {
  return s.st.leaves.map((attr, x) => {
    const t = s.nonce.get(x);
    if (t !== undefined) return eggPowSecret(t);
    const z = randomFr(s.rng);
    s.Z[x] = g2Nonce.multiply(z);
    return gtMul(eggPowSecret(z), timesYInverse(s.st, attr, s.c[x], null));
  });
}

/** Pushes the challenge down the proven part of the tree and answers the proven leaves. */
function respond(s: SignState, n: PolicyNode, c: bigint): void {
  if (n.kind === "attr") {
    const x = s.row.get(n)!;
    s.c[x] = c;
    // Z_x = T_x + c_x SIK_x with T_x = g2^t_x.
    s.Z[x] = g2Nonce.multiply(s.nonce.get(x)!).add(mulG2(s.keys.get(n.name)!, c));
    return;
  }
  const sim = (child: PolicyNode): bigint | undefined => s.simulated.get(child);
  if (n.kind === "and") {
    for (const child of n.children) respond(s, child, c);
  } else if (n.kind === "or") {
    const fixed = n.children.reduce((acc, child) => frAdd(acc, sim(child) ?? 0n), 0n);
    for (const child of n.children) if (sim(child) === undefined) respond(s, child, frSub(c, fixed));
  } else {
    const xs = indices(n.children.length);
    const points: [bigint, bigint][] = [[0n, c]];
    n.children.forEach((child, j) => {
      const cj = sim(child);
      if (cj !== undefined) points.push([xs[j], cj]);
    });
    n.children.forEach((child, j) => {
      if (sim(child) === undefined) respond(s, child, interpolate(points, xs[j]));
    });
  }
}

/**
 * Signs `message` under `policy` with the attribute keys of `gid`.
 * Throws PolicyError for a bad policy, AbeError MISSING_KEY when a policy attribute has no
 * VK, AbeError POLICY_UNSATISFIED (detail: { missing }) when the keys do not satisfy it.
 * Keys are not re-checked against the VKs here (keys.verifyUserKey does that on receipt);
 * a wrong key gives a signature that fails verification.
 */
export function absSign(args: AbsSignArgs): AbsSignature {
  const { message, gid } = args;
  if (!(message instanceof Uint8Array)) throw new AbeError("INVALID_ARGUMENT", "message must be a Uint8Array");
  if (typeof gid !== "string" || gid.length === 0) throw new AbeError("INVALID_ARGUMENT", "gid must be a non-empty string");
  const st = statement(args.policy, gid, args.vks, (missing) => {
    throw new AbeError("MISSING_KEY", `no verification key for ${missing.join(", ")}`, { missing });
  });
  const keys = new Map<string, G2>();
  for (const [a, k] of keyMap(args.keys, gid)) {
    if (!st.vks.has(a)) continue;
    if (!(k instanceof G2Points) || k.is0()) throw new AbeError("INVALID_ARGUMENT", `key for ${a} is not a G2 point`);
    keys.set(a, k);
  }
  const held = new Set(keys.keys());
  if (!satisfies(st.policy, held)) {
    const missing = explainMissing(st.policy, held);
    throw new AbeError("POLICY_UNSATISFIED", `your keys do not satisfy the policy; missing ${missing.join(", ")}`, { missing });
  }
  const n = st.leaves.length;
  const s: SignState = {
    st,
    rng: args.rng ?? defaultRng,
    held,
    keys,
    row: leafNumbers(st.policy),
    simulated: new Map(),
    nonce: new Map(),
    c: new Array<bigint>(n),
    Z: new Array<G2>(n),
  };
  chooseProven(s, st.policy);
  const R = commitments(s);
  respond(s, st.policy, rootChallenge(st, message, R));
  return { policyId: st.policyId, c: s.c, Z: s.Z };
}

// ---------------------------------------------------------------------------------------------
// Verification

/**
 * The root challenge implied by the leaf challenges, or null if they are inconsistent:
 * AND children equal, OR the sum, k-of-n the value at 0 of the degree n-k polynomial through
 * the first n-k+1 children, which the other k-1 children must lie on.
 */
function impliedChallenge(n: PolicyNode, c: readonly bigint[], cursor: { next: number }): bigint | null {
  if (n.kind === "attr") return c[cursor.next++];
  const cs = n.children.map((child) => impliedChallenge(child, c, cursor));
  if (cs.some((v) => v === null)) return null;
  const vals = cs as bigint[];
  if (n.kind === "and") return vals.every((v) => v === vals[0]) ? vals[0] : null;
  if (n.kind === "or") return vals.reduce(frAdd, 0n);
  const xs = indices(vals.length);
  const basis = xs.slice(0, vals.length - n.k + 1).map((x, j) => [x, vals[j]] as const);
  for (let j = basis.length; j < vals.length; j++) if (interpolate(basis, xs[j]) !== vals[j]) return null;
  return interpolate(basis, 0n);
}

function isSignatureShape(sig: unknown): sig is AbsSignature {
  if (typeof sig !== "object" || sig === null) return false;
  const { policyId, c, Z } = sig as Partial<AbsSignature>;
  return (
    policyId instanceof Uint8Array &&
    policyId.length === POLICY_ID_LEN &&
    Array.isArray(c) &&
    Array.isArray(Z) &&
    c.length === Z.length &&
    c.every((v) => typeof v === "bigint" && v >= 0n && v < ORDER) &&
    Z.every((p) => p instanceof G2Points && !p.is0())
  );
}

const fail = (reason: AbsFailureReason): AbsVerifyResult => ({ ok: false, reason });

/**
 * Verifies an ABS. Never throws: malformed input of any kind gives { ok: false, reason }.
 * UNKNOWN_ATTRIBUTE: the policy names an attribute without a VK in `vks`.
 * POLICY_MISMATCH: the signature was made for another policy (fingerprint or leaf count).
 */
export function absVerify(args: AbsVerifyArgs): AbsVerifyResult {
  try {
    return verifyOrThrow(args);
  } catch {
    return fail("MALFORMED");
  }
}

class UnknownAttribute extends Error {}

function verifyOrThrow(args: AbsVerifyArgs): AbsVerifyResult {
  const { message, gid } = args;
  if (!(message instanceof Uint8Array) || typeof gid !== "string" || gid.length === 0) return fail("MALFORMED");
  let st: Statement;
  try {
    st = statement(args.policy, gid, args.vks, () => {
      throw new UnknownAttribute();
    });
  } catch (e) {
    return fail(e instanceof UnknownAttribute ? "UNKNOWN_ATTRIBUTE" : "MALFORMED");
  }
  const sig = args.signature instanceof Uint8Array ? decodeAbsSignature(args.signature) : args.signature;
  if (!isSignatureShape(sig)) return fail("MALFORMED");
  if (!bytesEqual(sig.policyId, st.policyId) || sig.c.length !== st.leaves.length) return fail("POLICY_MISMATCH");
  const root = impliedChallenge(st.policy, sig.c, { next: 0 });
  if (root === null) return fail("BAD_SIGNATURE");
  // R_x = e(g1, Z_x) * Y_x^(-c_x)
  const R = st.leaves.map((attr, x) => timesYInverse(st, attr, sig.c[x], [g1, sig.Z[x]]));
  return rootChallenge(st, message, R) === root ? { ok: true } : fail("BAD_SIGNATURE");
}

// ---------------------------------------------------------------------------------------------
// Encoding: "MS" | version | type 0x20 | bytes policyId(16) | u32 n | bytes c(32n) | bytes Z(96n)

/** Canonical bytes of a signature (fixed-size scalars and compressed G2 points). */
export function encodeAbsSignature(sig: AbsSignature): Uint8Array {
  if (!isSignatureShape(sig) || sig.c.length === 0) throw new AbeError("INVALID_ARGUMENT", "not an ABS signature");
  return encodeObject(ObjectType.AbsSignature, (w) => {
    w.bytes(sig.policyId);
    w.u32(sig.c.length);
    w.bytes(concatBytes(...sig.c.map(encodeFr)));
    w.bytes(concatBytes(...sig.Z.map(encodeG2)));
  });
}

/** Strict decoder: canonical scalars, points on G2's prime-order subgroup. Throws only AbeError. */
export function decodeAbsSignature(bytes: Uint8Array): AbsSignature {
  return decodeObject(bytes, ObjectType.AbsSignature, (r) => {
    const policyId = r.bytes("policy id", { exact: POLICY_ID_LEN }).slice();
    const n = r.u32("leaf count");
    if (n < 1 || n > POLICY_LIMITS.maxLeaves) throw new AbeError("DECODE_FORMAT", `leaf count ${n} out of range`);
    const cBytes = r.bytes("challenges", { exact: n * FR_LEN });
    const zBytes = r.bytes("responses", { exact: n * G2_LEN });
    const c = indices(n).map((_, x) => decodeFr(cBytes.subarray(x * FR_LEN, (x + 1) * FR_LEN), { allowZero: true }));
    const Z = indices(n).map((_, x) => decodeG2(zBytes.subarray(x * G2_LEN, (x + 1) * G2_LEN)));
    return { policyId, c, Z };
  });
}
