/// <reference lib="webworker" />
/**
 * Encrypts an upload's feature tensors for clustering (the paper's Module 3) under the
 * authority's CKKS public key: numeric fields z-scored here, packed column-major in blocks,
 * encrypted with node-seal (loaded on demand, only in this worker). The cloud never sees a
 * feature value.
 */
import { createCkks, encryptColumnStats, encryptFeatureBlocks, maxRecordNorm } from "@/lib/hopcm/encrypted";
import { BLIND_PARAMS_ID, encryptBlindFeatures } from "@/lib/hopcm/encrypted/blind/keys";
import { fitFeatures } from "@/lib/hopcm/features";
import { statsOfSchema } from "@/lib/hopcm/units";

export type FeaturesJob = { records: Array<Record<string, number | null>>; columns: string[]; publicKey: Uint8Array; paramsId: string };
export type FeaturesMessage =
  | { type: "progress"; note: string }
  | { type: "done"; paramsId: string; n: number; p: number; columns: string[]; blocks: Uint8Array[][]; stats: Uint8Array }
  | { type: "error"; message: string };

const post = (m: FeaturesMessage, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m, transfer);

self.onmessage = async (event: MessageEvent<FeaturesJob>) => {
  const job = event.data;
  try {
    post({ type: "progress", note: "Loading the homomorphic-encryption engine…" });
    const { default: SEAL } = await import("node-seal/throws_wasm_worker_es");
    const ckks = createCkks(await SEAL());
    const blind = job.paramsId === BLIND_PARAMS_ID;
    if (!blind && ckks.id !== job.paramsId) throw new Error("The authority's clustering parameters changed; reload the page.");
    post({ type: "progress", note: `Encrypting ${job.columns.length} features of ${job.records.length.toLocaleString()} records for clustering…` });
    const features = fitFeatures(job.records, {});
    if (blind) {
      // The blind protocol: the upload's own z-scores, clipped, under the blind key; no statistics (its key holder reads none).
      const blocks = encryptBlindFeatures(ckks.seal, job.publicKey, features.X, features.n, features.p);
      post({ type: "done", paramsId: BLIND_PARAMS_ID, n: features.n, p: features.p, columns: job.columns, blocks, stats: new Uint8Array(0) }, [
        ...blocks.flat().map((b) => b.buffer as ArrayBuffer),
      ]);
      return;
    }
    const encrypted = encryptFeatureBlocks(ckks, job.publicKey, features.X, features.n, features.p);
    // The z-scoring's means and standard deviations, for the key holder only: runs over several
    // uploads put them in one run-wide normalisation (lib/hopcm units.ts).
    const { mean, sd } = statsOfSchema(features.schema, features.n, features.report.constant);
    const stats = encryptColumnStats(ckks, job.publicKey, { mean, sd, maxNorm: maxRecordNorm(features.X, features.n, features.p) });
    post({ type: "done", paramsId: encrypted.paramsId, n: encrypted.n, p: encrypted.p, columns: job.columns, blocks: encrypted.blocks, stats }, [
      ...encrypted.blocks.flat().map((b) => b.buffer as ArrayBuffer),
      stats.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    post({ type: "error", message: (error as Error).message ?? "Feature encryption failed." });
  }
};
