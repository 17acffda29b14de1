/**
 * Hospital side (runs in the browser): encrypt an upload's feature tensors under the
 * authority's CKKS public key. The features are already normalised with the schema the
 * authority publishes (lib/hopcm features.ts `applyFeatures`) and, if a tensor metric is used,
 * transformed by L^T (metric.ts `applyMetric`), so every later step is Euclidean.
 */
import { blocksOf, featureColumn, maxRecordNorm } from "./layout";
import type { EncryptedFeatures } from "./messages";
import { LEVEL, type Ckks } from "./params";

export interface EncryptFeatureOptions {
  /** SEAL compression of the stored ciphertexts. Default "none" (zstd saves ~7% on fresh public-key ciphertexts). */
  compression?: "none" | "zstd";
}

/**
 * Column-major blocks of up to `slots` records: for feature l, one ciphertext holding x_jl for
 * the records j of the block, at the top level and scale Delta. X is row-major n x p.
 */
export function encryptFeatureBlocks(
  ckks: Ckks,
  publicKey: Uint8Array,
  X: Float64Array,
  n: number,
  p: number,
  options: EncryptFeatureOptions = {},
): EncryptedFeatures {
  if (X.length !== n * p) throw new RangeError(`X has ${X.length} values, expected n*p = ${n * p}`);
  const norm = maxRecordNorm(X, n, p);
  if (!(norm <= ckks.params.maxRecordNorm))
    throw new RangeError(
      Number.isNaN(norm)
        ? "features contain a value that is not a finite number"
        : `a record has norm ${norm.toFixed(1)}, above the parameters' bound ${ckks.params.maxRecordNorm} (normalise the features first)`,
    );
  const { seal, context, slots } = ckks;
  const pk = seal.PublicKey();
  pk.loadArray(context, publicKey);
  const encryptor = seal.Encryptor(context, pk);
  const compression = seal.ComprModeType[options.compression ?? "none"];
  try {
    const blocks = blocksOf(n, slots).map((block) => {
      const row: Uint8Array[] = [];
      for (let l = 0; l < p; l++) {
        const pt = ckks.encodeAt(featureColumn(X, p, l, block, slots), ckks.featureScale, LEVEL.top);
        const ct = encryptor.encrypt(pt)!;
        row.push(ct.saveArray(compression));
        ct.delete();
        pt.delete();
      }
      return row;
    });
    return { paramsId: ckks.id, n, p, slots, blocks };
  } finally {
    encryptor.delete();
    pk.delete();
  }
}

/**
 * An upload's per-column statistics (the mean and standard deviation its features were
 * z-scored with) and its largest record norm, encrypted under the key holder's public key:
 * slots 0..p-1 the means, p..2p-1 the standard deviations, 2p the norm, the rest 0 (top level,
 * scale Delta). Only the key holder can read them; it uses them to put several uploads in one
 * run-wide normalisation (lib/hopcm units.ts) and to check the result stays within the bound.
 */
export function encryptColumnStats(
  ckks: Ckks,
  publicKey: Uint8Array,
  stats: { mean: Float64Array; sd: Float64Array; maxNorm: number },
  options: EncryptFeatureOptions = {},
): Uint8Array {
  const { mean, sd, maxNorm } = stats;
  const p = mean.length;
  if (sd.length !== p || p < 1 || 2 * p + 1 > ckks.slots) throw new RangeError(`column statistics: ${p} means and ${sd.length} standard deviations`);
  if (!(maxNorm >= 0 && maxNorm <= ckks.params.maxRecordNorm))
    throw new RangeError(`column statistics: record norm ${maxNorm} outside 0..${ckks.params.maxRecordNorm}`);
  const values = new Float64Array(ckks.slots);
  for (let l = 0; l < p; l++) {
    if (!Number.isFinite(mean[l]) || !(sd[l] >= 0) || !Number.isFinite(sd[l]))
      throw new RangeError(`column statistics: feature ${l} has mean ${mean[l]}, sd ${sd[l]}`);
    values[l] = mean[l];
    values[p + l] = sd[l];
  }
  values[2 * p] = maxNorm;
  const { seal, context } = ckks;
  const pk = seal.PublicKey();
  pk.loadArray(context, publicKey);
  const encryptor = seal.Encryptor(context, pk);
  const pt = ckks.encodeAt(values, ckks.featureScale, LEVEL.top);
  try {
    const ct = encryptor.encrypt(pt)!;
    const bytes = ct.saveArray(seal.ComprModeType[options.compression ?? "none"]);
    ct.delete();
    return bytes;
  } finally {
    pt.delete();
    encryptor.delete();
    pk.delete();
  }
}
