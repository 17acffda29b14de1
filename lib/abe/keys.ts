/**
 * Module 1: attribute authorities and user keys (Lewko-Waters 2011, prime order), plus the
 * Green-Hohenberger-Waters transform key for outsourced decryption.
 *
 * Exports: setupGlobal, setupAttribute, vkFromSecret, keygen, verifyUserKey,
 *          makeTransformKey, precomputeVk.
 */
import { AbeError } from "./errors";
import {
  type G2,
  type Rng,
  defaultRng,
  eggPowSecret,
  frInv,
  g1,
  g1MulSecret,
  g2MulSecret,
  gtPowSecretMulti,
  hashGid,
  mulG1CachedSecret,
  mulG2Secret,
  multiPair,
  prepareG2,
  gtEq,
  randomFr,
} from "./group";
import { isAttributeName } from "./policy";
import {
  type AttributeAuthorityKeys,
  type AttributeSecret,
  type AttributeVk,
  type PublicParams,
  SUITE,
  type TransformKey,
  type TransformSecret,
  type UserKeys,
} from "./types";

/** The global parameters are fixed by the suite; this returns them (and checks nothing else). */
export function setupGlobal(): PublicParams {
  return { suite: SUITE };
}

export function assertPublicParams(pp: PublicParams): void {
  if (!pp || pp.suite !== SUITE) throw new AbeError("INVALID_ARGUMENT", "unknown public parameters");
}

/** VK_i = (e(g1,g2)^alpha_i, g1^gamma_i); alpha_i and gamma_i are master secrets: constant-time paths. */
export function vkFromSecret(secret: AttributeSecret): AttributeVk {
  return { attribute: secret.attribute, eggAlpha: eggPowSecret(secret.alpha), g1Gamma: g1MulSecret(secret.gamma) };
}

/** Authority setup for one attribute: fresh alpha_i, gamma_i and the public VK_i. */
export function setupAttribute(attribute: string, rng: Rng = defaultRng): AttributeAuthorityKeys {
  if (!isAttributeName(attribute)) throw new AbeError("INVALID_ARGUMENT", `attribute names look like AUTHORITY.name, got ${JSON.stringify(attribute)}`);
  const secret: AttributeSecret = { attribute, alpha: randomFr(rng), gamma: randomFr(rng) };
  return { secret, vk: vkFromSecret(secret) };
}

/** SIK_{i,GID} = g2^alpha_i * H(GID)^gamma_i (long-term secrets: constant-time ladder). */
export function keygen(secret: AttributeSecret, gid: string): G2 {
  if (typeof gid !== "string" || gid.length === 0) throw new AbeError("INVALID_ARGUMENT", "empty GID");
  return g2MulSecret(secret.alpha).add(mulG2Secret(hashGid(gid), secret.gamma));
}

/**
 * Lets a user check an issued key against the public VK before using it:
 * e(g1, SIK) = e(g1,g2)^alpha * e(g1^gamma, H(GID)), checked as one multi-pairing
 * e(g1, SIK) * e(-g1^gamma, H(GID)) = e(g1,g2)^alpha.
 */
export function verifyUserKey(vk: AttributeVk, gid: string, K: G2): boolean {
  if (K.is0()) return false;
  const lhs = multiPair([
    [g1, K],
    [vk.g1Gamma.negate(), prepareG2(hashGid(gid))],
  ]);
  return gtEq(lhs, vk.eggAlpha);
}

/**
 * GHW transform key: the browser picks z and gives TK_i = SIK_i^(1/z) to the authority's store;
 * it keeps z. Anyone holding TK can only produce B = K-share^(1/z), useless without z.
 */
export function makeTransformKey(keys: UserKeys, rng: Rng = defaultRng): { tk: TransformKey; secret: TransformSecret } {
  const z = randomFr(rng);
  const zInv = frInv(z);
  const tkKeys = new Map<string, G2>();
  for (const [name, K] of keys.keys) tkKeys.set(name, mulG2Secret(K, zInv));
  return { tk: { gid: keys.gid, keys: tkKeys }, secret: { gid: keys.gid, z } };
}

/**
 * TK_i = SIK_i^(1/z) under a z the browser already holds: more key versions (after a rotation)
 * join the same transform key, so one z finishes every partial decryption.
 */
export function transformKeyFor(keys: UserKeys, secret: TransformSecret): TransformKey {
  if (secret.gid !== keys.gid) throw new AbeError("INVALID_ARGUMENT", "the transform secret belongs to another GID");
  const zInv = frInv(secret.z);
  const tkKeys = new Map<string, G2>();
  for (const [name, K] of keys.keys) tkKeys.set(name, mulG2Secret(K, zInv));
  return { gid: keys.gid, keys: tkKeys };
}

/**
 * Build the encryptor's precomputation tables for a VK now instead of on first use: the
 * secret-exponent combs of e(g1,g2) and e(g1,g2)^alpha_i (688 KB each) and of g1^gamma_i (wasm;
 * noble's window table without it) (encryption exponents are secret: see group.ts "Secret exponents").
 */
export function precomputeVk(vk: AttributeVk): void {
  gtPowSecretMulti([[vk.eggAlpha, 1n]], true);
  eggPowSecret(1n);
  mulG1CachedSecret(vk.g1Gamma, 2n);
}
