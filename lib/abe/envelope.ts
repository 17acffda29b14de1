/**
 * Module 2: the ABE-OD envelope (the paper's zeta, d, C-bar1..4) around the Lewko-Waters
 * ABE part, with full decryption and the public integrity check.
 *
 *   d = H1(zeta || H(m));  s = Hs(d), v_j = Hv(d,j), w_j = Hw(d,j), r_x = Hr(d,x)
 *   lambda_x = M_x . v,  omega_x = M_x . w           (v = (s, v_1..), w = (0, w_1..))
 *   C1_x = e(g1,g2)^lambda_x * (e(g1,g2)^alpha_i)^r_x,  C2_x = g1^r_x,
 *   C3_x = (g1^gamma_i)^r_x * g1^omega_x              (i = rho(x))
 *   C-bar1 = zeta XOR H2(e(g1,g2)^s),  C-bar2 = AES-256-GCM_{H3(zeta)}(m),
 *   C-bar3 = g2^d,  C-bar4 = H4(everything else)^d
 *
 * Exports: encrypt, sealEnvelope, checkIntegrity, assertIntegrity, decrypt, compilePolicy,
 *          openWithKey, verifyOpened, batchHeader, parseBatchHeader, ZERO_ROOT.
 */
import { gcm } from "@noble/ciphers/aes.js";
import { bytesEqual, concatBytes, u32be, utf8 } from "./codec";
import { AbeError } from "./errors";
import {
  type Fr,
  type G1,
  type G2,
  type GT,
  type Group,
  GT_ONE,
  R,
  defaultRng,
  g2,
  groupFor,
  gtEq,
  gtInv,
  gtMul,
  gtProduct,
  hashGid,
  multiPair,
  pairRef,
  prepareG2,
} from "./group";
import { DST, H1, H2, H3, H4, H4Input, Hr, Hs, Hv, Hw, deriveBatchKey, hashPayload, xor32 } from "./kdf";
import { type Lsss, type PolicyNode, PolicyError, compileLsss, explainMissing, formatPolicy, lsssShares, parsePolicy, reconstruct } from "./policy";
import { envelopeTranscript } from "./serialize";
import { assertPublicParams } from "./keys";
import {
  type AttributeVk,
  type CiphertextRow,
  type Envelope,
  type Opened,
  type PublicParams,
  type SchemeOptions,
  type UserKeys,
  type VkSet,
  vkMap,
} from "./types";

export const ZERO_ROOT = new Uint8Array(32);
const C2BAR_AAD = utf8.encode("MEDSHARE-V1-C-bar2");
const BATCH_HEADER_TAG = utf8.encode("MEDSHARE-V1-batch-header");

export type CompiledPolicy = { node: PolicyNode; text: string; lsss: Lsss };

/** Parse, canonicalise and compile a policy; PolicyError becomes AbeError(POLICY_INVALID). */
export function compilePolicy(policy: string | PolicyNode): CompiledPolicy {
  try {
    const node = typeof policy === "string" ? parsePolicy(policy) : parsePolicy(formatPolicy(policy));
    const text = formatPolicy(node);
    return { node, text, lsss: compileLsss(node) };
  } catch (e) {
    if (e instanceof PolicyError) throw new AbeError("POLICY_INVALID", e.message, { position: e.position, policyCode: e.code });
    throw e;
  }
}

/** The payload of a batch envelope: it authenticates the records root and count through d. */
export function batchHeader(root: Uint8Array, count: number): Uint8Array {
  return concatBytes(BATCH_HEADER_TAG, root, u32be(count));
}
export function parseBatchHeader(m: Uint8Array): { root: Uint8Array; count: number } | null {
  const n = BATCH_HEADER_TAG.length;
  if (m.length !== n + 36 || !bytesEqual(m.subarray(0, n), BATCH_HEADER_TAG)) return null;
  const c = m.subarray(n + 32);
  return { root: m.slice(n, n + 32), count: ((c[0] << 24) | (c[1] << 16) | (c[2] << 8) | c[3]) >>> 0 };
}

type Plain = { zeta: Uint8Array; m: Uint8Array; recordCount: number; recordsRoot: Uint8Array };

/** Up to this many rows, deriving K from the rows beats a separate exponentiation. */
const SMALL_POLICY_ROWS = 6;

/**
 * A reconstruction of the secret from all rows with coefficients +/-1 (true for AND/OR
 * policies), as a per-row vector; null when some coefficient is larger (thresholds).
 */
function unitReconstruction(pol: CompiledPolicy): (1 | -1 | 0)[] | null {
  const rec = reconstruct(pol.lsss, pol.lsss.rho);
  if (!rec) return null;
  const out: (1 | -1 | 0)[] = pol.lsss.rho.map(() => 0);
  for (let i = 0; i < rec.rows.length; i++) {
    const c = rec.coeffs[i];
    if (c === 1n) out[rec.rows[i]] = 1;
    else if (c === R - 1n) out[rec.rows[i]] = -1;
    else return null;
  }
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Everything after zeta and m is deterministic: encryption and the FO re-check share it. */
function deriveEnvelope(G: Group, vks: ReadonlyMap<string, AttributeVk>, pol: CompiledPolicy, p: Plain): Envelope {
  const d = H1(p.zeta, hashPayload(p.m)); // d = H1(zeta || H(m))
  if (d === 0n) throw new AbeError("INVALID_ARGUMENT", "degenerate d"); // probability 2^-255
  const s = Hs(d); // s = Hs(d): never d itself, e(g1, C-bar3) = e(g1,g2)^d is public
  const l = pol.lsss.M[0].length;
  const v = [s, ...range(1, l).map((j) => Hv(d, j))]; // v = (s, v_1, ..., v_{l-1})
  const w = [0n, ...range(1, l).map((j) => Hw(d, j))]; // w = (0, w_1, ..., w_{l-1})
  const lambda = lsssShares(pol.lsss, v); // lambda_x = M_x . v
  const omega = lsssShares(pol.lsss, w); // omega_x = M_x . w
  const vkOf = (attr: string): AttributeVk => {
    const vk = vks.get(attr);
    if (!vk) throw new AbeError("MISSING_KEY", `no verification key for ${attr}`, { attribute: attr });
    return vk;
  };
  const r = pol.lsss.rho.map((_, x) => Hr(d, x)); // r_x = Hr(d, x)
  // C2_x = g1^r_x,  C3_x = g1^(gamma_i r_x) * g1^omega_x  (all rows at once: one inversion)
  const g1Parts = G.rowsG1(pol.lsss.rho.map((attr, x) => [vkOf(attr).g1Gamma, r[x], omega[x]] as const));
  // C1_x = e(g1,g2)^lambda_x * (e(g1,g2)^alpha_i)^r_x, and K = e(g1,g2)^s. For small AND/OR
  // policies K comes from the rows' e(g1,g2)^lambda_x (s = sum c_x lambda_x, c_x = +/-1).
  const coeffs = pol.lsss.rho.length <= SMALL_POLICY_ROWS ? unitReconstruction(pol) : null;
  const joint = coeffs
    ? G.c1RowsWithK(
        pol.lsss.rho.map((attr, x) => [lambda[x], vkOf(attr).eggAlpha, r[x]] as const),
        coeffs,
      )
    : null;
  const C1 = joint ? joint.C1 : pol.lsss.rho.map((attr, x) => G.eggPowTimes(lambda[x], vkOf(attr).eggAlpha, r[x]));
  const rows: CiphertextRow[] = pol.lsss.rho.map((_, x) => ({ C1: C1[x], C2: g1Parts[x][0], C3: g1Parts[x][1] }));
  const K = joint ? joint.K : G.eggPow(s); // e(g1,g2)^s
  const C1bar = xor32(p.zeta, H2(K));
  const dem = H3(p.zeta);
  const C2bar = gcm(dem.key, dem.nonce, C2BAR_AAD).encrypt(p.m);
  const C3bar = G.g2Mul(d); // g2^d
  const body = { policy: pol.text, rows, recordCount: p.recordCount, recordsRoot: p.recordsRoot, C1bar, C2bar, C3bar };
  const C4bar = G.hashToG1Pow(DST.H4, H4Input(envelopeTranscript(body)), d); // H4(...)^d
  return { ...body, C4bar };
}

export type EncryptOptions = SchemeOptions & {
  /**
   * Fix zeta instead of drawing it: ONLY for differential tests and benchmarks (the whole
   * ciphertext is a function of zeta and m, so reusing zeta links ciphertexts).
   */
  readonly zeta?: Uint8Array;
};

/** Internal: seal payload m (with batch fields) under a policy. */
export function sealEnvelope(
  pp: PublicParams,
  vks: VkSet,
  policy: string | PolicyNode,
  m: Uint8Array,
  batch: { root: Uint8Array; count: number } | null,
  opts: EncryptOptions = {},
): { envelope: Envelope; zeta: Uint8Array } {
  assertPublicParams(pp);
  if (!(m instanceof Uint8Array)) throw new AbeError("INVALID_ARGUMENT", "payload must be bytes");
  const zeta = opts.zeta ?? (opts.rng ?? defaultRng)(32);
  if (!(zeta instanceof Uint8Array) || zeta.length !== 32) throw new AbeError("INVALID_ARGUMENT", "zeta must be 32 bytes");
  const pol = compilePolicy(policy);
  const envelope = deriveEnvelope(groupFor(opts), vkMap(vks), pol, {
    zeta,
    m,
    recordCount: batch ? batch.count : 0,
    recordsRoot: batch ? batch.root : ZERO_ROOT,
  });
  return { envelope, zeta };
}

/** Encrypt a (small) payload under an access policy. */
export function encrypt(pp: PublicParams, vks: VkSet, policy: string | PolicyNode, payload: Uint8Array, opts: EncryptOptions = {}): Envelope {
  return sealEnvelope(pp, vks, policy, payload, null, opts).envelope;
}

// ---------------------------------------------------------------------------------------------
// Public integrity check (anyone; the CSP at upload)
// ---------------------------------------------------------------------------------------------

function structuralCheck(env: Envelope): CompiledPolicy {
  const pol = compilePolicy(env.policy);
  if (pol.text !== env.policy) throw new AbeError("INTEGRITY", "policy text is not canonical");
  if (env.rows.length !== pol.lsss.rho.length) throw new AbeError("INTEGRITY", "row count does not match the policy");
  if (env.C3bar.is0() || env.C4bar.is0()) throw new AbeError("INTEGRITY", "identity in C-bar3 / C-bar4");
  if (env.C1bar.length !== 32 || env.recordsRoot.length !== 32) throw new AbeError("INTEGRITY", "bad field length");
  if (env.recordCount === 0 && !bytesEqual(env.recordsRoot, ZERO_ROOT)) throw new AbeError("INTEGRITY", "records root without records");
  return pol;
}

/** e(C-bar4, g2) == e(H4(...), C-bar3), as one multi-pairing e(C-bar4, g2) e(-H4, C-bar3) = 1. */
export function checkIntegrity(pp: PublicParams, env: Envelope, opts: SchemeOptions = {}): boolean {
  try {
    assertIntegrity(pp, env, opts);
    return true;
  } catch (e) {
    if (e instanceof AbeError && (e.code === "INTEGRITY" || e.code === "POLICY_INVALID")) return false;
    throw e;
  }
}

export function assertIntegrity(pp: PublicParams, env: Envelope, opts: SchemeOptions = {}): void {
  assertPublicParams(pp);
  structuralCheck(env);
  // The reference path hashes with noble directly; the fast path through the memoised H4.
  const h = opts.reference ? groupFor(opts).hashToG1(DST.H4, H4Input(envelopeTranscript(env))) : H4(envelopeTranscript(env));
  const ok = opts.reference
    ? gtEq(pairRef(env.C4bar, g2), pairRef(h, env.C3bar))
    : gtEq(
        multiPair([
          [env.C4bar, prepareG2(g2)],
          [h.negate(), env.C3bar],
        ]),
        GT_ONE,
      );
  if (!ok) throw new AbeError("INTEGRITY", "ciphertext integrity check failed");
}

// ---------------------------------------------------------------------------------------------
// Opening and the checks after it
// ---------------------------------------------------------------------------------------------

/** zeta = C-bar1 XOR H2(K); m = GCM-open(C-bar2). Null when K does not open the envelope. */
export function openWithKey(env: Envelope, K: GT): { zeta: Uint8Array; m: Uint8Array } | null {
  const zeta = xor32(env.C1bar, H2(K));
  const dem = H3(zeta);
  try {
    return { zeta, m: gcm(dem.key, dem.nonce, C2BAR_AAD).decrypt(env.C2bar) };
  } catch {
    return null;
  }
}

/**
 * After opening: recompute d, check C-bar3 = g2^d and the batch fields; with VKs, re-derive
 * the whole ciphertext from (zeta, m) and demand equality (Fujisaki-Okamoto). Failures are
 * INTEGRITY: the ciphertext is not what an honest encryptor of (zeta, m) produced.
 */
export function verifyOpened(G: Group, env: Envelope, zeta: Uint8Array, m: Uint8Array, vks: VkSet | undefined, pol: CompiledPolicy): Opened {
  const d = H1(zeta, hashPayload(m));
  if (!G.g2MulEquals(d, env.C3bar)) throw new AbeError("INTEGRITY", "C-bar3 != g2^d");
  let batch: Opened["batch"] = null;
  if (env.recordCount > 0) {
    const h = parseBatchHeader(m);
    if (!h || h.count !== env.recordCount || !bytesEqual(h.root, env.recordsRoot))
      throw new AbeError("INTEGRITY", "batch header does not match the envelope's records");
    batch = h;
  }
  if (vks !== undefined) {
    const again = deriveEnvelope(G, vkMap(vks), pol, { zeta, m, recordCount: env.recordCount, recordsRoot: env.recordsRoot });
    if (!sameEnvelope(again, env)) throw new AbeError("INTEGRITY", "ciphertext is not the deterministic encryption of its content");
  }
  return { payload: m, batchKey: deriveBatchKey(zeta), batch };
}

function sameEnvelope(a: Envelope, b: Envelope): boolean {
  if (a.policy !== b.policy || a.rows.length !== b.rows.length || a.recordCount !== b.recordCount) return false;
  if (!bytesEqual(a.recordsRoot, b.recordsRoot) || !bytesEqual(a.C1bar, b.C1bar) || !bytesEqual(a.C2bar, b.C2bar)) return false;
  if (!a.C3bar.equals(b.C3bar) || !a.C4bar.equals(b.C4bar)) return false;
  return a.rows.every((row, x) => gtEq(row.C1, b.rows[x].C1) && row.C2.equals(b.rows[x].C2) && row.C3.equals(b.rows[x].C3));
}

// ---------------------------------------------------------------------------------------------
// Full decryption
// ---------------------------------------------------------------------------------------------

/** c·P with shortcuts for the common coefficients 1 and -1 (AND/OR policies). */
export function scaleG1(G: Group, P: G1, c: Fr): G1 {
  if (c === 1n) return P;
  if (c === R - 1n) return P.negate();
  return G.mulG1(P, c);
}
export function powGT(G: Group, x: GT, c: Fr): GT {
  if (c === 1n) return x;
  if (c === R - 1n) return gtInv(x);
  return G.gtPow(x, c);
}

/** The reconstruction for a set of held attributes, or POLICY_UNSATISFIED naming what is missing. */
export function reconstructOrExplain(pol: CompiledPolicy, held: Iterable<string>): { rows: number[]; coeffs: Fr[] } {
  const names = [...held];
  const rec = reconstruct(pol.lsss, names);
  if (!rec) {
    const missing = explainMissing(pol.node, names);
    throw new AbeError("POLICY_UNSATISFIED", `missing attributes: ${missing.join(", ")}`, { missing });
  }
  return rec;
}

export type DecryptOptions = SchemeOptions;

/**
 * Full decryption with the user's own keys:
 * K = prod_x [C1_x * e(C3_x, H(GID)) / e(C2_x, SIK_rho(x))]^c_x
 *   = prod C1_x^c_x * e(sum c_x C3_x, H(GID)) * prod e(-c_x C2_x, SIK_rho(x))   (one multi-pairing)
 * then open, re-derive with the VKs (FO check), return the payload.
 */
export function decrypt(pp: PublicParams, vks: VkSet, env: Envelope, keys: UserKeys, opts: DecryptOptions = {}): Opened {
  assertPublicParams(pp);
  const G = groupFor(opts);
  const pol = structuralCheck(env);
  const rec = reconstructOrExplain(pol, keys.keys.keys());
  const H = hashGid(keys.gid);
  const factors: GT[] = [];
  let S3: G1 | null = null;
  const pairs: [G1, G2][] = [];
  for (let i = 0; i < rec.rows.length; i++) {
    const x = rec.rows[i];
    const c = rec.coeffs[i];
    const row = env.rows[x];
    factors.push(powGT(G, row.C1, c)); // C1_x^c_x
    const c3 = scaleG1(G, row.C3, c);
    S3 = S3 ? S3.add(c3) : c3; // sum c_x C3_x
    const K = keys.keys.get(pol.lsss.rho[x]) as G2;
    pairs.push([scaleG1(G, row.C2, c).negate(), K]); // e(-c_x C2_x, SIK)
  }
  if (S3) pairs.push([S3, H]);
  factors.push(G.pairProduct(pairs));
  const K = G.name === "reference" ? factors.reduce((acc, f) => gtMul(acc, f), GT_ONE) : gtProduct(factors);
  const opened = openWithKey(env, K);
  if (!opened) throw new AbeError("DECRYPT", "these keys do not open the envelope");
  return verifyOpened(G, env, opened.zeta, opened.m, vks, pol);
}

export { DST };
