import type { Seal } from "../params";

/** The blind protocol's measurement chain: N = 16384, 60 + 7 x 40 + 60 = 400 bits (128-bit security), scale 2^40. */
export const BLIND_CHAIN = [60, 40, 40, 40, 40, 40, 40, 40, 60] as const;

/**
 * The blind protocol's parameters (lib/hopcm/encrypted/blind/run.ts): N = 8192 (4,096 records per
 * block), 50 + 3 x 40 + 48 = 218 bits, the 128-bit-security maximum. Three levels above the bottom
 * two primes, which a masked refresh keeps (value + mask < 2^43 at scale 2^40 needs ~85 bits):
 * two products between refreshes, each product about a quarter of N = 16384's.
 */
export const BLIND_PROTOCOL = { N: 8192, chain: [50, 40, 40, 40, 48] } as const;

/**
 * A CKKS context (N = 16384 unless given) with every key in one process (tests and benches of the blind
 * protocol's pieces; in the protocol the keys are split between the parties). `rotations`: the
 * steps to make Galois keys for (none by default).
 */
export function blindCkks(seal: Seal, bits: readonly number[] = BLIND_CHAIN, rotations: number[] = [], N = 16384) {
  const parms = seal.EncryptionParameters(seal.SchemeType.ckks);
  parms.setPolyModulusDegree(N);
  parms.setCoeffModulus(seal.CoeffModulus.Create(N, Int32Array.from(bits)));
  const context = seal.Context(parms, true, seal.SecurityLevel.tc128);
  if (!context.parametersSet()) throw new RangeError(`CKKS parameters rejected by SEAL (N = ${N}, bits ${bits.join("+")})`);
  const keygen = seal.KeyGenerator(context);
  const publicKey = keygen.createPublicKey();
  const relinKeys = keygen.createRelinKeys();
  const galoisKeys = rotations.length ? keygen.createGaloisKeys(Int32Array.from(rotations)) : null;
  const encoder = seal.CKKSEncoder(context);
  const evaluator = seal.Evaluator(context);
  const encryptor = seal.Encryptor(context, publicKey);
  // the key holder's own encryptions (refreshes, centers): under the secret key, cheaper than the public key's
  const symmetric = seal.Encryptor(context, publicKey, keygen.secretKey());
  const decryptor = seal.Decryptor(context, keygen.secretKey());
  return {
    N,
    slots: encoder.slotCount,
    context,
    relinKeys,
    galoisKeys,
    encoder,
    evaluator,
    encryptor,
    symmetric,
    decryptor,
    dispose() {
      for (const o of [galoisKeys, relinKeys, publicKey, keygen, encoder, evaluator, encryptor, symmetric, decryptor, context, parms]) o?.delete();
    },
  };
}
