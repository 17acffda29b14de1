// A run over several uploads = the plaintext reference over their concatenated records.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adjustedRandIndex,
  applyUnits,
  chunkOf,
  hopcm,
  hopcmIncremental,
  incrementalOptions,
  makeBlobs,
  modelOf,
  runHopcmAsync,
  runUnits,
  standardize,
  withPrototypes,
} from "@/lib/hopcm";
import {
  createCkks,
  createCspEvaluator,
  createKeyHolder,
  cspEvalKeys,
  cspPrepare,
  disposeDataset,
  encryptFeatureBlocks,
  type Ckks,
  type CspDataset,
  type CspEvaluator,
  type KeyHolder,
} from "@/lib/hopcm/encrypted";
import { loadSealNode } from "@/lib/hopcm/encrypted/seal-node";
import { fcmObjective, localCspPort, multiUploadBackend, observed } from "./backend";

let ckks: Ckks;
let keyHolder: KeyHolder;
let csp: CspEvaluator;
const datasets: CspDataset[] = [];
const { X, n, p } = makeBlobs(200, 2, 2, { seed: 1 });
const cut = [0, 120, 200];

beforeAll(async () => {
  ckks = createCkks(await loadSealNode());
  keyHolder = createKeyHolder(ckks);
  csp = createCspEvaluator(ckks, cspEvalKeys(keyHolder.publicKeys));
  for (let u = 0; u + 1 < cut.length; u++) {
    const part = X.subarray(cut[u] * p, cut[u + 1] * p);
    datasets.push(cspPrepare(csp, encryptFeatureBlocks(ckks, keyHolder.publicKeys.publicKey, part, cut[u + 1] - cut[u], p)));
  }
});

afterAll(() => {
  for (const d of datasets) disposeDataset(d);
  keyHolder.dispose();
});

describe("multiUploadBackend", () => {
  it("two uploads give the reference's labels and centers (within 1e-6) over the concatenation", async () => {
    const reference = hopcm(X, n, p, { k: 2 });
    const seen: number[] = [];
    const backend = multiUploadBackend({ ckks, keyHolder, port: localCspPort(csp, datasets) });
    expect(backend.n).toBe(n);
    expect(backend.offsets).toEqual([0, 120]);
    const result = await runHopcmAsync(
      observed(backend, ({ d2, k }) => void seen.push(fcmObjective(d2, k, n))),
      { k: 2 },
    );
    expect(Array.from(result.labels)).toEqual(Array.from(reference.labels));
    let diff = 0;
    for (let i = 0; i < result.centers.length; i++) diff = Math.max(diff, Math.abs(result.centers[i] - reference.centers[i]));
    expect(diff).toBeLessThan(1e-6);
    expect(seen.length).toBeGreaterThan(result.iterations - 1);
    expect(seen.every((J) => Number.isFinite(J) && J >= 0)).toBe(true);
    expect(backend.times.csp).toBeGreaterThan(0);
    expect(backend.times.keyHolder).toBeGreaterThan(0);
  });

  it("incremental: the second upload on ciphertexts + the first one's centers at the key holder = hopcmIncremental", async () => {
    const prev = modelOf(hopcm(X.subarray(0, 120 * p), 120, p, { k: 2 }));
    const chunk = { X: X.subarray(120 * p), n: 80, p };
    const reference = hopcmIncremental(prev, chunk, { k: 2 });
    const inner = multiUploadBackend({ ckks, keyHolder, port: localCspPort(csp, [datasets[1]]) });
    const iterations: number[] = [];
    const backend = observed(withPrototypes(inner, prev), ({ d2, k, weightedSums }) => {
      expect(d2.length).toBe(k * (2 + 80)); // the coordinator's view: prototypes + records
      iterations.push(weightedSums);
    });
    const got = chunkOf(await runHopcmAsync(backend, incrementalOptions(prev, inner.n, { k: 2 })), 2);
    expect(Array.from(got.labels)).toEqual(Array.from(reference.labels));
    let diff = 0;
    for (let i = 0; i < got.model.centers.length; i++) diff = Math.max(diff, Math.abs(got.model.centers[i] - reference.model.centers[i]));
    expect(diff).toBeLessThan(1e-6);
    expect(got.model.mass.reduce((a, b) => a + b, 0)).toBeCloseTo(200, 6);
    expect(got.result.iterations).toBe(reference.result.iterations);
    expect(iterations[0]).toBe(0); // the first distances request: the previous centers
    expect(iterations.at(-1)).toBe(got.result.iterations);
  });

  it("uploads standardised separately, with different case mixes, are clustered in run-wide units = the reference on the run's z-scores", async () => {
    // Upload A: 80 of cluster 0 and 20 of cluster 1; upload B the other way round. Each z-scored on its own.
    const blobs = makeBlobs(400, 3, 2, { seed: 9, spread: 3 });
    const byLabel = [0, 1].map((c) => Array.from({ length: blobs.n }, (_, j) => j).filter((j) => blobs.labels[j] === c));
    const parts = [
      [...byLabel[0].slice(0, 80), ...byLabel[1].slice(0, 20)],
      [...byLabel[0].slice(80, 100), ...byLabel[1].slice(20, 100)],
    ];
    const q = blobs.p;
    const uploads = parts.map((rows) => {
      const n = rows.length;
      const raw = new Float64Array(n * q);
      rows.forEach((j, r) => raw.set(blobs.X.subarray(j * q, (j + 1) * q), r * q));
      return { n, ...standardize(raw, n, q) };
    });
    const { units } = runUnits(uploads.map((u) => u.stats));
    const N = uploads[0].n + uploads[1].n;
    const global = new Float64Array(N * q);
    global.set(applyUnits(uploads[0].Z, uploads[0].n, q, units[0]), 0);
    global.set(applyUnits(uploads[1].Z, uploads[1].n, q, units[1]), uploads[0].n * q);
    const reference = hopcm(global, N, q, { k: 2 });
    const naive = hopcm(Float64Array.from([...uploads[0].Z, ...uploads[1].Z]), N, q, { k: 2 });
    const truth = [...parts[0], ...parts[1]].map((j) => blobs.labels[j]);
    expect(adjustedRandIndex(truth, reference.labels)).toBeGreaterThan(adjustedRandIndex(truth, naive.labels)); // why units matter

    const sets = uploads.map((u) => cspPrepare(csp, encryptFeatureBlocks(ckks, keyHolder.publicKeys.publicKey, u.Z, u.n, q)));
    try {
      const backend = multiUploadBackend({ ckks, keyHolder, port: localCspPort(csp, sets) }, { units });
      await backend.prepare();
      const result = await runHopcmAsync(backend, { k: 2 });
      expect(Array.from(result.labels)).toEqual(Array.from(reference.labels));
      let diff = 0;
      for (let i = 0; i < result.centers.length; i++) diff = Math.max(diff, Math.abs(result.centers[i] - reference.centers[i]));
      expect(diff).toBeLessThan(1e-6);
      expect(result.iterations).toBe(reference.iterations);
    } finally {
      for (const d of sets) disposeDataset(d);
    }
  });

  it("fcmObjective: J = sum_j omega_j (sum_i 1/d2_ij)^-1", () => {
    expect(fcmObjective(Float64Array.of(1, 4, 1, 4), 2, 2)).toBeCloseTo(0.5 + 2, 12);
    expect(fcmObjective(Float64Array.of(1, 4, 1, 4), 2, 2, Float64Array.of(3, 1))).toBeCloseTo(1.5 + 2, 12);
  });
});
