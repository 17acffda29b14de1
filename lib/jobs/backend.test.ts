// A run over several uploads = the plaintext reference over their concatenated records.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hopcm, makeBlobs, runHopcmAsync } from "@/lib/hopcm";
import { createCkks, createCspEvaluator, createKeyHolder, cspEvalKeys, cspPrepare, disposeDataset, encryptFeatureBlocks, type Ckks, type CspDataset, type CspEvaluator, type KeyHolder } from "@/lib/hopcm/encrypted";
import { loadSealNode } from "@/lib/hopcm/encrypted/seal-node";
import { fcmObjective, multiUploadBackend } from "./backend";

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
    const backend = multiUploadBackend({ ckks, keyHolder, csp, datasets }, { afterDistances: ({ d2, k }) => void seen.push(fcmObjective(d2, k, n)) });
    expect(backend.n).toBe(n);
    expect(backend.offsets).toEqual([0, 120]);
    const result = await runHopcmAsync(backend, { k: 2 });
    expect(Array.from(result.labels)).toEqual(Array.from(reference.labels));
    let diff = 0;
    for (let i = 0; i < result.centers.length; i++) diff = Math.max(diff, Math.abs(result.centers[i] - reference.centers[i]));
    expect(diff).toBeLessThan(1e-6);
    expect(seen.length).toBeGreaterThan(result.iterations - 1);
    expect(seen.every((J) => Number.isFinite(J) && J >= 0)).toBe(true);
    expect(backend.times.csp).toBeGreaterThan(0);
    expect(backend.times.keyHolder).toBeGreaterThan(0);
  });

  it("fcmObjective: J = sum_j (sum_i 1/d2_ij)^-1", () => {
    expect(fcmObjective(Float64Array.of(1, 4, 1, 4), 2, 2)).toBeCloseTo(0.5 + 2, 12);
  });
});
