/**
 * Key holder (the authority): owns the CKKS secret key. It decrypts only what the protocol
 * allows it to see, the distances (k x n) and per-cluster aggregates summed over all records,
 * runs lib/hopcm's coordinator on them in float64, and answers with fresh encryptions
 * (weights, centers, seed selectors) under its secret key (symmetric encryption: ~10x less
 * fresh noise and faster than public-key encryption).
 *
 * Decrypted values never leave the key holder in the protocol: returning raw CKKS decryptions
 * to a party that holds the ciphertexts would leak noise and, over many queries, the key (Li
 * and Micciancio 2021). Only final labels (discrete) go back to the CSP.
 */
import type { SecretKey } from "node-seal/implementation/secret-key";
import { blocksOf, classLayout, rotateLeft, rotationSteps } from "./layout";
import type { CkksPublicKeys, EncCenters, EncDistances, EncScales, EncSelector, EncSums, EncWeights } from "./messages";
import { expectCiphertext, LEVEL, type Ckks, type CipherText } from "./params";

export interface KeyHolder {
  readonly publicKeys: CkksPublicKeys;
  /** The secret key, serialised (seal it at rest, e.g. lib/authority/seal.ts). */
  exportSecretKey(): Uint8Array;
  /** Every center coordinate v_il broadcast to all slots. */
  encryptCenters(centers: Float64Array, k: number, p: number): EncCenters;
  /**
   * Weights normalised per cluster (w_ij / sum_j w_ij) in the class layout. `totals` (sum_j w_ij)
   * stays here: decryptSums multiplies it back.
   */
  encryptWeights(weights: Float64Array, k: number, n: number, p: number): { message: EncWeights; totals: Float64Array };
  /**
   * One-hot indicator of record `index` (k-means++ seeding, without telling the CSP which record).
   * With `scales` (p), one indicator per feature carrying its scale (see EncSelector).
   */
  encryptSelector(index: number, n: number, scales?: Float64Array): EncSelector;
  /** Per-feature scales a_l for `cspScaleFeatures` (see EncScales). */
  encryptScales(scales: Float64Array): EncScales;
  /** Per-column statistics a hospital encrypted with `encryptColumnStats`: means, standard deviations, largest record norm. */
  decryptColumnStats(ct: CipherText, p: number): { mean: Float64Array; sd: Float64Array; maxNorm: number };
  /** d2[i*n + j]. */
  decryptDistances(msg: EncDistances, n: number): Float64Array;
  /** S[i*p + l] = sum_j w_ij x_jl, from the normalised aggregates; checks their structure. */
  decryptSums(msg: EncSums, totals: Float64Array): Float64Array;
  dispose(): void;
}

/** CKKS noise on an aggregate is ~1e-10 (measured); a different value means a different computation. */
const AGGREGATE_TOLERANCE = 1e-6;
/** Fresh public-key encryption noise is ~2e-10 per value at scale Delta (params.ts). */
const STATS_TOLERANCE = 1e-6;
/**
 * Scales the CSP may apply (cspScaleFeatures): a scaled record must stay within the parameters'
 * norm bound, so a run refuses uploads whose units differ by more than this factor.
 */
export const MAX_FEATURE_SCALE = 4;

function checkScales(scales: Float64Array): void {
  for (const [l, a] of scales.entries())
    if (!(a >= 0 && a <= MAX_FEATURE_SCALE)) throw new RangeError(`feature ${l}: scale ${a} outside 0..${MAX_FEATURE_SCALE}`);
}

export interface KeyHolderOptions {
  /** Rotation steps to make Galois keys for. Default `rotationSteps(slots)`. */
  rotationSteps?: number[];
}

export function createKeyHolder(ckks: Ckks, options: KeyHolderOptions = {}): KeyHolder {
  const { seal, context } = ckks;
  const keygen = seal.KeyGenerator(context);
  const zstd = seal.ComprModeType.zstd;
  const steps = options.rotationSteps ?? rotationSteps(ckks.slots);
  // Seeded serialisations: the CSP expands the uniform halves on load (about half the bytes).
  const publicKey = keygen.createPublicKeySerializable();
  const relinKeys = keygen.createRelinKeysSerializable();
  const galoisKeys = keygen.createGaloisKeysSerializable(Int32Array.from(steps));
  const publicKeys: CkksPublicKeys = {
    paramsId: ckks.id,
    publicKey: publicKey.saveArray(zstd),
    relinKeys: relinKeys.saveArray(zstd),
    galoisKeys: galoisKeys.saveArray(zstd),
    rotationSteps: steps,
  };
  const secretKey = keygen.secretKey();
  for (const s of [publicKey, relinKeys, galoisKeys, keygen]) s.delete();
  const holder = keyHolderFrom(ckks, secretKey, publicKeys);
  secretKey.delete();
  return holder;
}

/** A key holder from a stored secret key and the public material made with it. */
export function loadKeyHolder(ckks: Ckks, secretKeyBytes: Uint8Array, publicKeys: CkksPublicKeys): KeyHolder {
  if (publicKeys.paramsId !== ckks.id) throw new RangeError("public keys were made under other CKKS parameters");
  const sk = ckks.seal.SecretKey();
  sk.loadArray(ckks.context, secretKeyBytes);
  const holder = keyHolderFrom(ckks, sk, publicKeys);
  sk.delete();
  return holder;
}

function keyHolderFrom(ckks: Ckks, secretKeyIn: SecretKey, publicKeys: CkksPublicKeys): KeyHolder {
  const { seal, context, slots } = ckks;
  const sk = secretKeyIn.clone();
  const pk = seal.PublicKey();
  pk.loadArray(context, publicKeys.publicKey);
  const encryptor = seal.Encryptor(context, pk, sk);
  const decryptor = seal.Decryptor(context, sk);

  const decode = (ct: CipherText): Float64Array => {
    const pt = decryptor.decrypt(ct)!;
    const values = ckks.encoder.decode(pt);
    pt.delete();
    return values;
  };

  return {
    publicKeys,

    exportSecretKey: () => sk.saveArray(seal.ComprModeType.zstd),

    encryptCenters(centers, k, p) {
      if (centers.length !== k * p) throw new RangeError(`centers have ${centers.length} values, expected k*p = ${k * p}`);
      const cts = Array.from(centers, (v) => {
        const pt = ckks.constantMid(v);
        const ct = encryptor.encryptSymmetric(pt)!;
        pt.delete();
        return ct;
      });
      return { kind: "centers", k, p, cts };
    },

    encryptWeights(weights, k, n, p) {
      if (weights.length !== k * n) throw new RangeError(`weights have ${weights.length} values, expected k*n = ${k * n}`);
      const { baby, giant } = classLayout(p, slots);
      const blocks = blocksOf(n, slots);
      const totals = new Float64Array(k);
      const cts: CipherText[] = [];
      for (let i = 0; i < k; i++) {
        let total = 0;
        for (let j = 0; j < n; j++) {
          const w = weights[i * n + j];
          if (!(w >= 0 && w < Infinity)) throw new RangeError(`weight w[${i}][${j}] = ${w} is not a finite non-negative number`);
          total += w;
        }
        totals[i] = total;
        const scale = total > 0 ? 1 / total : 0;
        for (const block of blocks) {
          const col = new Float64Array(slots);
          for (let t = 0; t < block.size; t++) col[t] = weights[i * n + block.start + t] * scale;
          for (let g = 0; g < giant; g++) {
            const pt = ckks.encodeAt(g === 0 ? col : rotateLeft(col, baby * g), ckks.q1, LEVEL.mid);
            cts.push(encryptor.encryptSymmetric(pt)!);
            pt.delete();
          }
        }
      }
      return { message: { kind: "weights", k, blocks: blocks.length, giant, cts }, totals };
    },

    encryptSelector(index, n, scales) {
      if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`record index ${index} outside 0..${n - 1}`);
      if (scales) checkScales(scales);
      const blocks = blocksOf(n, slots);
      const cts = blocks.flatMap((block) =>
        (scales ? Array.from(scales) : [1]).map((a) => {
          const e = new Float64Array(slots);
          if (index >= block.start && index < block.start + block.size) e[index - block.start] = a;
          const pt = ckks.encodeAt(e, ckks.q2, LEVEL.top);
          const ct = encryptor.encryptSymmetric(pt)!;
          pt.delete();
          return ct;
        }),
      );
      return scales ? { kind: "selector", blocks: blocks.length, columns: scales.length, cts } : { kind: "selector", blocks: blocks.length, cts };
    },

    encryptScales(scales) {
      checkScales(scales);
      const cts = Array.from(scales, (a) => {
        const pt = ckks.encodeAt(new Float64Array(slots).fill(a), ckks.q2, LEVEL.top);
        const ct = encryptor.encryptSymmetric(pt)!;
        pt.delete();
        return ct;
      });
      return { kind: "scales", p: scales.length, cts };
    },

    decryptColumnStats(ct, p) {
      if (!Number.isInteger(p) || p < 1 || 2 * p + 1 > slots) throw new RangeError(`column statistics: p = ${p} outside 1..${slots / 2 - 1}`);
      expectCiphertext(ct, LEVEL.top, ckks.featureScale, "column statistics");
      const v = decode(ct);
      const mean = Float64Array.from(v.subarray(0, p));
      const sd = Float64Array.from(v.subarray(p, 2 * p));
      for (let l = 0; l < p; l++) {
        if (!Number.isFinite(mean[l]) || !(sd[l] > -STATS_TOLERANCE)) throw new RangeError(`column statistics: feature ${l} has mean ${mean[l]}, sd ${sd[l]}`);
        sd[l] = Math.max(0, sd[l]);
      }
      const maxNorm = Math.max(0, v[2 * p]);
      if (!(maxNorm <= ckks.params.maxRecordNorm + STATS_TOLERANCE)) throw new RangeError(`column statistics: record norm ${maxNorm} above the bound`);
      // Slots past 2p are zero in a well-formed statistics ciphertext.
      for (let t = 2 * p + 1; t < slots; t++) if (Math.abs(v[t]) > STATS_TOLERANCE) throw new RangeError("column statistics: unexpected values past 2p");
      return { mean, sd, maxNorm };
    },

    decryptDistances(msg, n) {
      const blocks = blocksOf(n, slots);
      if (msg.blocks !== blocks.length || msg.cts.length !== msg.k * blocks.length)
        throw new RangeError(`distances: expected ${msg.k} x ${blocks.length} ciphertexts, got ${msg.cts.length}`);
      const d2 = new Float64Array(msg.k * n);
      for (let i = 0; i < msg.k; i++)
        blocks.forEach((block, b) => {
          const ct = msg.cts[i * blocks.length + b];
          expectCiphertext(ct, LEVEL.bottom, ckks.distanceScale, "distances");
          d2.set(decode(ct).subarray(0, block.size), i * n + block.start);
        });
      return d2;
    },

    decryptSums(msg, totals) {
      const { k, p, classes } = msg;
      if (msg.cts.length !== k || totals.length !== k) throw new RangeError(`sums: expected ${k} ciphertexts and totals`);
      if (classes !== classLayout(p, slots).classes) throw new RangeError(`sums: ${classes} classes do not match p = ${p}`);
      const S = new Float64Array(k * p);
      for (let i = 0; i < k; i++) {
        const ct = msg.cts[i];
        expectCiphertext(ct, LEVEL.bottom, ckks.featureScale, "sums");
        const y = decode(ct);
        // Every slot of a class holds the same aggregate (sums over subsets of records would
        // reveal per-record values by differencing), padding classes hold 0 and class p holds
        // sum_j w'_ij = 1: anything else is not an aggregate (or the CSP used other weights).
        for (let t = 0; t < slots; t++) {
          const c = t % classes;
          const expected = c < p ? y[c] : c === p ? (totals[i] > 0 ? 1 : 0) : 0;
          if (Math.abs(y[t] - expected) > AGGREGATE_TOLERANCE) throw new RangeError(`sums: cluster ${i}, slot ${t} (class ${c}) is not a consistent aggregate`);
        }
        for (let l = 0; l < p; l++) S[i * p + l] = y[l] * totals[i];
      }
      return S;
    },

    dispose() {
      encryptor.delete();
      decryptor.delete();
      pk.delete();
      sk.delete();
    },
  };
}
