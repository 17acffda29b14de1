/**
 * CKKS parameters and the shared context of the encrypted HoPCM protocol.
 *
 * Modulus chain (N = 8192, 218 bits = the 128-bit-security maximum for N = 8192):
 *
 *   q0 (58 bits) | q1 (50) | q2 (50) | P (60, special prime for key switching)
 *
 * Three data levels: "top" {q0,q1,q2}, "mid" {q0,q1}, "bottom" {q0}. Every product in the
 * protocol is followed by one rescale, and every scale is chosen so that rescaling lands on an
 * exact, known scale (a plaintext multiplier encoded at scale q drops out exactly when q is
 * rescaled away):
 *
 *   features x            top     Delta = 2^45                  (hospital, public key)
 *   centers v             mid     Delta                         (key holder, secret key)
 *   distances (x-v)^2     bottom  Delta^2 / q1 ~ 2^40           (CSP: square, relinearise, rescale)
 *   class layout A        mid     Delta * q2 / q2 = Delta       (CSP setup: 0/1 masks at scale q2)
 *   weights w/sum(w)      mid     q1                            (key holder)
 *   sums A * W            bottom  Delta * q1 / q1 = Delta       (CSP: multiply, rescale, rotate-and-sum)
 *   selector e_idx        top     q2   -> e * x at mid, Delta    (k-means++ seeding: depth 2)
 *
 * Headroom: values at the bottom level must stay below q0/2 ~ 2^57 after scaling. With every
 * record's norm at most R = 90 (z-scored records have norm ~sqrt(p); WDBC's largest is 20.5),
 * d2 <= (2R)^2 < 2^15 at scale 2^40 and |sum_j w'_j x_j| <= R < 2^7 at scale 2^45, a factor 2-4
 * below q0/2. Precision: a fresh public-key encryption at
 * 2^45 is off by ~2e-10 per value (measured), which is the floor of the whole protocol.
 */
import type { CipherText } from "node-seal/implementation/cipher-text";
import type { CKKSEncoder } from "node-seal/implementation/ckks-encoder";
import type { Context } from "node-seal/implementation/context";
import type { Evaluator } from "node-seal/implementation/evaluator";
import type { PlainText } from "node-seal/implementation/plain-text";
import type { SEALLibrary } from "node-seal/implementation/seal";

export type Seal = SEALLibrary;
export type { CipherText, PlainText };

export interface CkksParams {
  /** Ring degree N; a block holds N/2 records (one per slot). */
  readonly polyModulusDegree: number;
  /** Bit sizes of q0, q1, q2 and the special prime P. */
  readonly coeffModulusBits: readonly number[];
  /** log2 of the feature scale Delta. */
  readonly featureScaleBits: number;
  /** Largest Euclidean norm of one record, in feature units (bounds every value in the protocol). */
  readonly maxRecordNorm: number;
}

export const HOPCM_CKKS_PARAMS: CkksParams = Object.freeze({
  polyModulusDegree: 8192,
  coeffModulusBits: Object.freeze([58, 50, 50, 60]),
  featureScaleBits: 45,
  maxRecordNorm: 90,
});

/** Number of primes of a ciphertext at each data level. */
export const LEVEL = { top: 3, mid: 2, bottom: 1 } as const;

/** The SEAL context and the public tools every party may hold (no keys). */
export interface Ckks {
  readonly seal: Seal;
  readonly params: CkksParams;
  readonly context: Context;
  readonly encoder: CKKSEncoder;
  readonly evaluator: Evaluator;
  /** N/2: records per block. */
  readonly slots: number;
  /** Hex of the top level's parms_id: tags keys and ciphertexts made under these parameters. */
  readonly id: string;
  /** Primes dropped by the first (q2) and second (q1) rescale; < 2^53, so exact as doubles. */
  readonly q1: number;
  readonly q2: number;
  /** Delta = 2^featureScaleBits. */
  readonly featureScale: number;
  /** Scale of encrypted distances: Delta^2 / q1. */
  readonly distanceScale: number;
  /**
   * Plaintext of `value` in every slot, at the mid level and scale Delta. Built from a verified
   * serialised template (a constant polynomial is the same residue in every NTT slot), about
   * 8x faster than CKKSEncoder.encode and byte-identical to it; falls back to encode otherwise.
   */
  constantMid(value: number): PlainText;
  /** A vector encoded at the top level (scale given), then switched down to `level` primes. */
  encodeAt(values: Float64Array, scale: number, level: number): PlainText;
  loadCiphertext(bytes: Uint8Array): CipherText;
}

export function createCkks(seal: Seal, params: CkksParams = HOPCM_CKKS_PARAMS): Ckks {
  const { polyModulusDegree: N, coeffModulusBits: bits } = params;
  if (bits.length !== 4) throw new RangeError(`coeffModulusBits must list q0, q1, q2, P; got ${bits.length} primes`);
  const parms = seal.EncryptionParameters(seal.SchemeType.ckks);
  parms.setPolyModulusDegree(N);
  parms.setCoeffModulus(seal.CoeffModulus.Create(N, Int32Array.from(bits)));
  const context = seal.Context(parms, true, seal.SecurityLevel.tc128);
  if (!context.parametersSet()) throw new RangeError(`CKKS parameters rejected by SEAL (N = ${N}, bits ${bits.join("+")})`);
  const top = context.firstContextData;
  const primes = top.parms.coeffModulus; // [q0, q1, q2]
  const q1 = Number(primes[1]);
  const q2 = Number(primes[2]);
  if (!Number.isSafeInteger(q1) || !Number.isSafeInteger(q2)) throw new RangeError("q1 and q2 must be below 2^53 (they are used as exact scales)");
  const featureScale = 2 ** params.featureScaleBits;
  const distanceScale = (featureScale * featureScale) / q1;
  const R = params.maxRecordNorm;
  const half = Number(primes[0]) / 2;
  // Headroom at the bottom level (see the header), with a factor 2 for noise and rounding.
  if (2 * (4 * R * R) * distanceScale > half) throw new RangeError("maxRecordNorm too large for q0 at the distance scale");
  if (2 * R * featureScale > half) throw new RangeError("maxRecordNorm too large for q0 at the feature scale");

  const encoder = seal.CKKSEncoder(context);
  const evaluator = seal.Evaluator(context);
  const slots = encoder.slotCount;
  const id = Array.from(top.parmsId.values, (v) => v.toString(16).padStart(16, "0")).join("");

  const encodeAt = (values: Float64Array, scale: number, level: number): PlainText => {
    const pt = encoder.encode(values, scale) as PlainText;
    for (let l = LEVEL.top; l > level; l--) evaluator.plainModSwitchToNext(pt, pt);
    return pt;
  };

  const constantMid = constantEncoder(seal, context, slots, featureScale, R, encodeAt);

  return {
    seal,
    params,
    context,
    encoder,
    evaluator,
    slots,
    id,
    q1,
    q2,
    featureScale,
    distanceScale,
    constantMid,
    encodeAt,
    loadCiphertext(bytes) {
      const ct = seal.CipherText();
      ct.loadArray(context, bytes);
      return ct;
    },
  };
}

/**
 * Fast constant plaintexts at the mid level. SEAL serialises a plaintext (compression none) as
 * headers followed by its NTT-form coefficients, one run of N words per prime; a constant c at
 * scale Delta is round(c * Delta) mod q_i in every word. The template is checked word by word
 * against CKKSEncoder's own output for 1.0 before it is trusted.
 */
function constantEncoder(
  seal: Seal,
  context: Context,
  slots: number,
  scale: number,
  bound: number,
  encodeAt: (values: Float64Array, scale: number, level: number) => PlainText,
): (value: number) => PlainText {
  const slow = (value: number) => encodeAt(new Float64Array(slots).fill(value), scale, LEVEL.mid);
  const reference = slow(1);
  const template = reference.saveArray(seal.ComprModeType.none);
  const primes = context.getContextData(reference.parmsId).parms.coeffModulus;
  reference.delete();
  const N = 2 * slots;
  const words = N * primes.length;
  const offset = template.byteLength - 8 * words;
  const view = new DataView(template.buffer, template.byteOffset, template.byteLength);
  let ok = offset >= 8 && offset % 8 === 0 && view.getBigUint64(offset - 8, true) === BigInt(words);
  for (let i = 0; ok && i < primes.length; i++) {
    const expected = BigInt(scale) % primes[i];
    for (let t = 0; t < N; t++) if (view.getBigUint64(offset + 8 * (i * N + t), true) !== expected) ok = false;
  }
  if (!ok) return slow;
  return (value: number) => {
    if (!(Math.abs(value) <= bound)) throw new RangeError(`constant ${value} outside +-${bound}`);
    const bytes = template.slice();
    const data = new BigUint64Array(bytes.buffer, bytes.byteOffset + offset, words);
    const K = BigInt(Math.round(value * scale));
    for (let i = 0; i < primes.length; i++) {
      const r = K % primes[i];
      data.fill(r < 0n ? r + primes[i] : r, i * N, (i + 1) * N);
    }
    const pt = seal.PlainText();
    pt.loadArray(context, bytes);
    return pt;
  };
}

/** Throws unless `ct` sits at `level` (number of primes) with the expected scale. */
export function expectCiphertext(ct: CipherText, level: number, scale: number, what: string): void {
  if (ct.coeffModulusSize !== level) throw new RangeError(`${what}: ciphertext at level ${ct.coeffModulusSize}, expected ${level}`);
  if (Math.abs(ct.scale - scale) > 1e-9 * scale)
    throw new RangeError(`${what}: ciphertext scale 2^${Math.log2(ct.scale).toFixed(3)}, expected 2^${Math.log2(scale).toFixed(3)}`);
}
