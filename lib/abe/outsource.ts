/**
 * Outsourced decryption (the Green-Hohenberger-Waters 2011 idea applied to Lewko-Waters).
 *
 * With TK_i = SIK_i^(1/z):  e(C2_x, SIK_i) = e(C2_x, TK_i)^z, so per row
 *   C1_x e(C3_x, H(GID)) / e(C2_x, SIK_i) = e(g1,g2)^lambda_x e(g1, H(GID))^omega_x
 * and over the reconstruction (sum c_x lambda_x = s, sum c_x omega_x = 0):
 *   A = prod C1_x^c_x * e(sum c_x C3_x, H(GID)),  B = prod e(c_x C2_x, TK_i),  K = A / B^z.
 * The CSP computes A and B (B as one multi-pairing); without z it learns nothing about K.
 * The user's browser finishes with one GT exponentiation and checks the result against the
 * envelope: K must open C-bar2 (AES-GCM tag under H3(C-bar1 XOR H2(K))) and C-bar3 must be
 * g2^d for d = H1(zeta || H(m)); optionally (with the VKs) the whole ABE part is re-derived.
 *
 * Exports: partialDecrypt, finishDecrypt.
 */
import { bytesEqual } from "./codec";
import { AbeError } from "./errors";
import { type G1, type G2, type GT, GT_ONE, groupFor, gtMul, gtProduct, hashGid } from "./group";
import { compilePolicy, openWithKey, powGT, reconstructOrExplain, scaleG1, verifyOpened } from "./envelope";
import { envelopeDigest } from "./serialize";
import { assertPublicParams } from "./keys";
import type { Envelope, Opened, PartialDecryption, PublicParams, SchemeOptions, TransformKey, TransformSecret, VkSet } from "./types";

/** The CSP's half: A and B for a verified request, given the user's transform key. */
export function partialDecrypt(pp: PublicParams, env: Envelope, tk: TransformKey, opts: SchemeOptions = {}): PartialDecryption {
  assertPublicParams(pp);
  const G = groupFor(opts);
  const pol = compilePolicy(env.policy);
  if (pol.text !== env.policy || env.rows.length !== pol.lsss.rho.length) throw new AbeError("INTEGRITY", "envelope does not match its policy");
  const rec = reconstructOrExplain(pol, tk.keys.keys());
  const factorsA: GT[] = [];
  let S3: G1 | null = null;
  const pairsB: [G1, G2][] = [];
  for (let i = 0; i < rec.rows.length; i++) {
    const x = rec.rows[i];
    const c = rec.coeffs[i];
    const row = env.rows[x];
    factorsA.push(powGT(G, row.C1, c)); // C1_x^c_x
    const c3 = scaleG1(G, row.C3, c);
    S3 = S3 ? S3.add(c3) : c3; // sum c_x C3_x
    // c_x folded into the G1 side: e(C2_x, TK_i)^c_x = e(c_x C2_x, TK_i).
    pairsB.push([scaleG1(G, row.C2, c), tk.keys.get(pol.lsss.rho[x]) as G2]);
  }
  if (S3) factorsA.push(G.pairProduct([[S3, hashGid(tk.gid)]])); // e(sum c_x C3_x, H(GID))
  const A = G.name === "reference" ? factorsA.reduce((acc, f) => gtMul(acc, f), GT_ONE) : gtProduct(factorsA);
  const B = G.pairProduct(pairsB); // prod e(c_x C2_x, TK_i), one final exponentiation
  return { ctDigest: envelopeDigest(env), A, B };
}

export type FinishOptions = SchemeOptions & {
  /**
   * With the policy's VKs the user also re-derives the whole ABE part from (zeta, m) (the full
   * Fujisaki-Okamoto check, about one encryption's work). Without them the checks are the
   * envelope's (K = e(g1,g2)^Hs(d), C-bar3 = g2^d, AES-GCM tag), which already detect any
   * wrong partial decryption.
   */
  readonly vks?: VkSet;
};

/** The user's half: K = A / B^z, then open and verify; a wrong (A, B) or z is OUTSOURCED_VERIFY. */
export function finishDecrypt(pp: PublicParams, env: Envelope, pd: PartialDecryption, secret: TransformSecret, opts: FinishOptions = {}): Opened {
  assertPublicParams(pp);
  const G = groupFor(opts);
  if (!bytesEqual(pd.ctDigest, envelopeDigest(env))) throw new AbeError("OUTSOURCED_VERIFY", "partial decryption is for another ciphertext");
  const K = G.gtDivPow(pd.A, pd.B, secret.z); // K = A / B^z
  // A wrong K gives zeta' = C-bar1 XOR H2(K') != zeta (short of a SHA-256 collision), so the
  // AES-GCM tag under H3(zeta') fails: the tag check is the verification of (A, B) and z, and
  // C-bar3 = g2^d (in verifyOpened) then binds (zeta, m) to the ciphertext.
  const opened = openWithKey(env, K);
  if (!opened) throw new AbeError("OUTSOURCED_VERIFY", "partial decryption does not open the envelope");
  const pol = compilePolicy(env.policy);
  return verifyOpened(G, env, opened.zeta, opened.m, opts.vks, pol);
}
