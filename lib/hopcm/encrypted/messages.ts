/**
 * What the parties send each other. Every message is ciphertexts plus public sizes; the
 * `Wire` form (Uint8Array per ciphertext, SEAL `saveArray`) is what crosses a process boundary
 * or is stored (base64 it for JSON). In one process the backend can pass the objects directly.
 *
 *   hospital -> CSP      EncryptedFeatures   (stored; public-key encrypted)
 *   key holder -> CSP    EncCenters, EncWeights, EncSelector   (fresh, secret-key encrypted)
 *   CSP -> key holder    EncDistances, EncSums
 *   key holder -> all    CkksPublicKeys (public key to hospitals, evaluation keys to the CSP)
 */
import type { Ckks, CipherText } from "./params";

/** Public material: the public key goes to hospitals, the evaluation keys to the CSP. */
export interface CkksPublicKeys {
  paramsId: string;
  publicKey: Uint8Array;
  relinKeys: Uint8Array;
  galoisKeys: Uint8Array;
  /** Left rotations the Galois keys cover (others are composed from powers of two). */
  rotationSteps: number[];
}

/** What the CSP receives: evaluation keys only. `secretKey?: never` keeps a key holder out at compile time. */
export interface CspEvalKeys {
  readonly paramsId: string;
  readonly relinKeys: Uint8Array;
  readonly galoisKeys: Uint8Array;
  readonly rotationSteps: readonly number[];
  readonly secretKey?: never;
  readonly decryptor?: never;
}

export function cspEvalKeys(keys: CkksPublicKeys): CspEvalKeys {
  const { paramsId, relinKeys, galoisKeys, rotationSteps } = keys;
  return { paramsId, relinKeys, galoisKeys, rotationSteps };
}

/** Feature blocks of one upload, as stored: blocks[b][l] encrypts feature l of block b. */
export interface EncryptedFeatures {
  /** `Ckks.id` of the parameters the blocks were encrypted under. */
  paramsId: string;
  n: number;
  p: number;
  slots: number;
  blocks: Uint8Array[][];
}

/** Centers, each coordinate broadcast to every slot (mid level, scale Delta); cts[i*p + l]. */
export interface EncCenters {
  kind: "centers";
  k: number;
  p: number;
  cts: CipherText[];
}

/**
 * Weights w_ij / sum_j w_ij in the class layout's giant-step copies (mid level, scale q1);
 * cts[(i*blocks + b)*giant + g] encrypts rot(w_i restricted to block b, baby*g).
 */
export interface EncWeights {
  kind: "weights";
  k: number;
  blocks: number;
  giant: number;
  cts: CipherText[];
}

/**
 * One-hot indicator of a record (top level, scale q2), one ciphertext per block; or, with
 * `columns = p`, one per block and feature carrying that feature's scale a_l (cts[b*p + l] =
 * a_l e_idx), so that the selected record comes out scaled like `cspScaleFeatures` scales the data.
 */
export interface EncSelector {
  kind: "selector";
  blocks: number;
  columns?: number;
  cts: CipherText[];
}

/**
 * Per-feature scales a_l, each broadcast to every slot (top level, scale q2): cts[l]. The CSP
 * multiplies an upload's top-level feature ciphertexts by them and rescales (-> mid, Delta):
 * a change of units per feature (e.g. from the upload's own z-scores to a run-wide
 * normalisation) at no extra depth, without the CSP learning the scales.
 */
export interface EncScales {
  kind: "scales";
  p: number;
  cts: CipherText[];
}

/** d2 of every record to every center (bottom level, scale Delta^2/q1); cts[i*blocks + b]. */
export interface EncDistances {
  kind: "distances";
  k: number;
  blocks: number;
  cts: CipherText[];
}

/**
 * Aggregates per cluster (bottom level, scale Delta): in cts[i], every slot t holds
 * sum_j w'_ij x_jc for c = t mod classes < p, and sum_j w'_ij for c = p.
 */
export interface EncSums {
  kind: "sums";
  k: number;
  p: number;
  classes: number;
  cts: CipherText[];
}

export type Message = EncCenters | EncWeights | EncSelector | EncDistances | EncSums | EncScales;
export type Wire<M extends Message> = Omit<M, "cts"> & { cts: Uint8Array[] };

/** Ciphertexts as the bytes that cross a boundary (SEAL `saveArray`, uncompressed). */
export function savedCiphertexts(ckks: Ckks, cts: CipherText[]): Uint8Array[] {
  return cts.map((ct) => ct.saveArray(ckks.seal.ComprModeType.none));
}

export function toWire<M extends Message>(ckks: Ckks, msg: M): Wire<M> {
  return { ...msg, cts: savedCiphertexts(ckks, msg.cts) };
}

export function fromWire<M extends Message>(ckks: Ckks, wire: Wire<M>): M {
  return { ...wire, cts: wire.cts.map((bytes) => ckks.loadCiphertext(bytes)) } as unknown as M;
}

/** Frees the ciphertexts' WebAssembly memory (SEAL objects are not garbage collected promptly). */
export function dispose(msg: { cts: CipherText[] }): void {
  for (const ct of msg.cts) ct.delete();
  msg.cts.length = 0;
}
