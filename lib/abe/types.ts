/**
 * Data types of the ABE-OD scheme (Lewko-Waters decentralized CP-ABE + the paper's envelope).
 *
 * Exports: PublicParams, SUITE, AttributeSecret, AttributeVk, AttributeAuthorityKeys, VkSet,
 *          UserKeys, TransformKey, TransformSecret, CiphertextRow, Envelope, PartialDecryption,
 *          RecordCiphertext, MerkleProof, Opened, SchemeOptions, vkMap.
 */
import type { Fr, G1, G2, GT, Rng } from "./group";
import { AbeError } from "./errors";

export const SUITE = "MEDSHARE-ABE-OD-V1/BLS12-381";

/** Global public parameters: fixed by the suite (generators, hashes, DSTs are constants). */
export type PublicParams = { readonly suite: typeof SUITE };

/** An attribute authority's per-attribute master secret (alpha_i, gamma_i). */
export type AttributeSecret = { readonly attribute: string; readonly alpha: Fr; readonly gamma: Fr };

/** VK_i = (e(g1,g2)^alpha_i, g1^gamma_i). */
export type AttributeVk = { readonly attribute: string; readonly eggAlpha: GT; readonly g1Gamma: G1 };

export type AttributeAuthorityKeys = { readonly secret: AttributeSecret; readonly vk: AttributeVk };

/** Verification keys by attribute name (a list is accepted and indexed by name). */
export type VkSet = ReadonlyMap<string, AttributeVk> | readonly AttributeVk[];

/** A user's keys: SIK_{i,GID} = g2^alpha_i * H(GID)^gamma_i per held attribute i. */
export type UserKeys = { readonly gid: string; readonly keys: ReadonlyMap<string, G2> };

/** Outsourcing (transform) key: TK_i = SIK_i^(1/z); handed to the authority's store. */
export type TransformKey = { readonly gid: string; readonly keys: ReadonlyMap<string, G2> };

/** What the user keeps to finish an outsourced decryption. */
export type TransformSecret = { readonly gid: string; readonly z: Fr };

/** One LSSS row x of the ABE part. */
export type CiphertextRow = {
  /** C1_x = e(g1,g2)^lambda_x * (e(g1,g2)^alpha_rho(x))^r_x */
  readonly C1: GT;
  /** C2_x = g1^r_x */
  readonly C2: G1;
  /** C3_x = g1^(gamma_rho(x) r_x) * g1^omega_x */
  readonly C3: G1;
};

/** The ABE-OD envelope (one per message, or one per upload batch and policy). */
export type Envelope = {
  /** Canonical policy text (formatPolicy); rows follow its LSSS row order. */
  readonly policy: string;
  readonly rows: readonly CiphertextRow[];
  /** Number of batch records committed to; 0 for a single-message envelope. */
  readonly recordCount: number;
  /** Merkle root over the record ciphertexts (32 zero bytes when recordCount = 0). */
  readonly recordsRoot: Uint8Array;
  /** C-bar1 = zeta XOR H2(e(g1,g2)^s) */
  readonly C1bar: Uint8Array;
  /** C-bar2 = AES-256-GCM_{H3(zeta)}(m) */
  readonly C2bar: Uint8Array;
  /** C-bar3 = g2^d */
  readonly C3bar: G2;
  /** C-bar4 = H4(C-bar1 || C-bar2 || C-bar3 || {C_x} || policy || records)^d */
  readonly C4bar: G1;
};

/** The CSP's answer: K = A / B^z, bound to one envelope by its digest. */
export type PartialDecryption = {
  readonly ctDigest: Uint8Array;
  /** A = prod C1_x^c_x * e(sum c_x C3_x, H(GID)) */
  readonly A: GT;
  /** B = prod e(c_x C2_x, TK_rho(x)) */
  readonly B: GT;
};

/** One record of a batch, sealed under its own key derived from the batch key. */
export type RecordCiphertext = { readonly index: number; readonly id: string; readonly ct: Uint8Array };

/** Inclusion proof of one record ciphertext under an envelope's records root (RFC 9162). */
export type MerkleProof = { readonly index: number; readonly count: number; readonly path: readonly Uint8Array[] };

/** Result of opening an envelope. */
export type Opened = {
  /** The envelope payload m (for a batch: the batch header). */
  readonly payload: Uint8Array;
  /** Opens the batch's records (openRecord); derived one-way from zeta. */
  readonly batchKey: Uint8Array;
  /** For a batch: the records root and count that m authenticated. */
  readonly batch: { readonly root: Uint8Array; readonly count: number } | null;
};

export type SchemeOptions = {
  /** Use the straightforward reference arithmetic (benchmark baseline, differential tests). */
  readonly reference?: boolean;
  /** Randomness source (zeta, z). */
  readonly rng?: Rng;
};

export function vkMap(vks: VkSet): ReadonlyMap<string, AttributeVk> {
  if (vks instanceof Map) return vks;
  if (!Array.isArray(vks)) throw new AbeError("INVALID_ARGUMENT", "vks must be a Map or an array");
  const m = new Map<string, AttributeVk>();
  for (const vk of vks as readonly AttributeVk[]) m.set(vk.attribute, vk);
  return m;
}
