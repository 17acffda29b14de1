/**
 * The blind protocol's keys, split between the parties (issue #14): one key pair per deployment
 * under `BLIND_PROTOCOL`'s parameters. The key holder keeps the secret key (sealed in the
 * authority's database); the hospitals' browsers get the public key; the CSP gets the
 * relinearisation keys and nothing that decrypts. Each party builds its tools from its own bytes.
 */
import type { CipherText, PlainText, Seal } from "../params";
import { BLIND_PROTOCOL } from "./context";
import { BlindKeyHolder, blockCounts, ciphertextBytes, type CspTools } from "./run";

/** Tags the blind protocol's key rows and tensors (the leaky protocol's rows carry SEAL's parms id). */
export const BLIND_PARAMS_ID = `blind-ckks-${BLIND_PROTOCOL.N}-${BLIND_PROTOCOL.chain.join(".")}`;
/** Every fresh encryption's scale. */
export const BLIND_SCALE = 2 ** 40;

/** The parameters' SEAL context and the public tools (no keys). */
export function blindContext(seal: Seal) {
  const parms = seal.EncryptionParameters(seal.SchemeType.ckks);
  parms.setPolyModulusDegree(BLIND_PROTOCOL.N);
  parms.setCoeffModulus(seal.CoeffModulus.Create(BLIND_PROTOCOL.N, Int32Array.from(BLIND_PROTOCOL.chain)));
  const context = seal.Context(parms, true, seal.SecurityLevel.tc128);
  if (!context.parametersSet()) throw new RangeError("the blind protocol's CKKS parameters were rejected by SEAL");
  const encoder = seal.CKKSEncoder(context);
  const evaluator = seal.Evaluator(context);
  return {
    seal,
    context,
    encoder,
    evaluator,
    slots: encoder.slotCount,
    dispose() {
      for (const o of [encoder, evaluator, context, parms]) o.delete();
    },
  };
}
export type BlindContext = ReturnType<typeof blindContext>;

/** A new key pair: the public key and relinearisation keys (public material) and the secret key, serialised. */
export function createBlindKeys(seal: Seal): { publicKey: Uint8Array; relinKeys: Uint8Array; secretKey: Uint8Array } {
  const ctx = blindContext(seal);
  const keygen = seal.KeyGenerator(ctx.context);
  const publicKey = keygen.createPublicKey();
  const relinKeys = keygen.createRelinKeys();
  const secretKey = keygen.secretKey();
  try {
    const none = seal.ComprModeType.none;
    return { publicKey: publicKey.saveArray(none), relinKeys: relinKeys.saveArray(none), secretKey: secretKey.saveArray(none) };
  } finally {
    for (const o of [publicKey, relinKeys, secretKey, keygen]) o.delete();
    ctx.dispose();
  }
}

/** The key holder's tools from its secret key (and the public key, which SEAL's symmetric encryptor takes too). */
export function blindKeyHolder(seal: Seal, secretKey: Uint8Array, publicKey: Uint8Array, record = false) {
  const ctx = blindContext(seal);
  const sk = seal.SecretKey();
  const pk = seal.PublicKey();
  try {
    sk.loadArray(ctx.context, secretKey);
    pk.loadArray(ctx.context, publicKey);
  } catch (error) {
    for (const o of [sk, pk]) o.delete();
    ctx.dispose();
    throw new RangeError(`not a key of the blind protocol's parameters (${(error as Error).message})`);
  }
  const symmetric = seal.Encryptor(ctx.context, pk, sk);
  const decryptor = seal.Decryptor(ctx.context, sk);
  const keyHolder = new BlindKeyHolder({ encoder: ctx.encoder, encrypt: seededEncryption(seal, symmetric), decryptor }, record);
  return {
    keyHolder,
    io: ciphertextBytes(ctx),
    slots: ctx.slots,
    dispose() {
      for (const o of [symmetric, decryptor, sk, pk]) o.delete();
      ctx.dispose();
    },
  };
}

/** The key holder's encryptions, serialised seeded (half the bytes of a public-key encryption). */
export function seededEncryption(
  seal: Seal,
  symmetric: { encryptSymmetricSerializable(pt: PlainText): { saveArray(mode: unknown): Uint8Array; delete(): void } },
) {
  return (pt: PlainText): Uint8Array => {
    const seeded = symmetric.encryptSymmetricSerializable(pt);
    try {
      return seeded.saveArray(seal.ComprModeType.none);
    } finally {
      seeded.delete();
    }
  };
}

/** The CSP's tools: the public context, an evaluator and the relinearisation keys; nothing that decrypts. */
export function blindCspTools(seal: Seal, relinKeys: Uint8Array): { tools: CspTools; io: ReturnType<typeof ciphertextBytes>; dispose(): void } {
  const ctx = blindContext(seal);
  const rk = seal.RelinKeys();
  try {
    rk.loadArray(ctx.context, relinKeys);
  } catch (error) {
    rk.delete();
    ctx.dispose();
    throw new RangeError(`not relinearisation keys of the blind protocol's parameters (${(error as Error).message})`);
  }
  return {
    tools: { seal, context: ctx.context, encoder: ctx.encoder, evaluator: ctx.evaluator, relinKeys: rk, N: BLIND_PROTOCOL.N },
    io: ciphertextBytes(ctx),
    dispose() {
      rk.delete();
      ctx.dispose();
    },
  };
}

/**
 * The hospital's encryption under the public key: z-scores clipped to +-clip, per block (records
 * split evenly over ceil(n / (N/2)) blocks, `blockCounts`) one ciphertext per feature (the
 * block's records in the first slots, zeros after), at the top level and scale 2^40, serialised.
 */
export function encryptBlindFeatures(seal: Seal, publicKey: Uint8Array, X: Float64Array, n: number, p: number, clip = 3): Uint8Array[][] {
  const ctx = blindContext(seal);
  const pk = seal.PublicKey();
  pk.loadArray(ctx.context, publicKey);
  const encryptor = seal.Encryptor(ctx.context, pk);
  try {
    const counts = blockCounts(n, ctx.slots);
    let start = 0;
    return counts.map((count) => {
      const first = start;
      start += count;
      return Array.from({ length: p }, (_, l) => {
        const values = new Float64Array(ctx.slots);
        for (let s = 0; s < count; s++) values[s] = Math.max(-clip, Math.min(clip, X[(first + s) * p + l]));
        const pt = ctx.encoder.encode(values, BLIND_SCALE)!;
        const ct: CipherText = encryptor.encrypt(pt)!;
        pt.delete();
        try {
          return ct.saveArray(seal.ComprModeType.none);
        } finally {
          ct.delete();
        }
      });
    });
  } finally {
    encryptor.delete();
    pk.delete();
    ctx.dispose();
  }
}
