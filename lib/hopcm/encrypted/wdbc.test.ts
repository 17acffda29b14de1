// WDBC (569 x 30 z-scored, k = 2) through the encrypted protocol vs the plaintext reference.
// About 0.6 s per iteration x 89 iterations: the slowest test of lib/hopcm/encrypted.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { csvRecords, parseCsv } from "../../csv/csv";
import { fitFeatures } from "../features";
import { hopcm, runHopcmAsync } from "../hopcm";
import { maxRecordNorm, setupEncryptedHopcm } from ".";
import { reconstructionError, reconstructRecords, recording } from "./leakage";
import { loadSealNode } from "./seal-node";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");
const WDBC = path.resolve(repoRoot, "../shared/datasets/wdbc.csv");
if (!existsSync(WDBC)) throw new Error(`WDBC dataset not found at ${WDBC} (expected <repo>/../shared/datasets/wdbc.csv)`);
const { X, n, p } = fitFeatures(csvRecords(parseCsv(readFileSync(WDBC, "utf8"))), { label: "diagnosis", strictNumeric: true });

describe("WDBC, encrypted", () => {
  it("gives the reference's labels and iteration count, centers within 1e-6", async () => {
    expect([n, p]).toEqual([569, 30]);
    expect(maxRecordNorm(X, n, p)).toBeLessThan(90); // the parameters' bound (params.ts)
    const reference = hopcm(X, n, p, { k: 2 });
    const run = setupEncryptedHopcm(await loadSealNode(), X, n, p);
    try {
      const keyHolder = recording(run.backend);
      const result = await runHopcmAsync(keyHolder.backend, { k: 2 });
      expect(Array.from(result.labels)).toEqual(Array.from(reference.labels));
      expect([result.initIterations, result.pcmIterations]).toEqual([reference.initIterations, reference.pcmIterations]);
      let diff = 0;
      for (let i = 0; i < result.centers.length; i++) diff = Math.max(diff, Math.abs(result.centers[i] - reference.centers[i]));
      expect(diff).toBeLessThan(1e-6);
      expect(result.warnings).toEqual([]);
      // Issue #14, the attack on this protocol: from the distances it decrypted to the centers it
      // chose, the key holder solves for every record by least squares. It works today (this is the
      // leak recorded in DESIGN.md); the blind protocol (docs/design/blind-clustering.md) must turn
      // this into "no better than guessing the mean" (>= 0.9 standard deviations per feature).
      const error = reconstructionError(X, reconstructRecords(keyHolder.transcript), n, p);
      const sorted = Array.from(error).sort((a, b) => a - b);
      console.log(`key holder's reconstruction of WDBC, error per feature in sd: median ${sorted[15].toExponential(2)}, worst ${sorted[29].toExponential(2)}`);
      expect(sorted[15]).toBeLessThan(0.05); // measured 0.028 (worst 0.062): CKKS noise on nearly collinear centers
      expect(sorted[29]).toBeLessThan(0.2); // guessing the mean: 1
    } finally {
      run.dispose();
    }
  });
});
