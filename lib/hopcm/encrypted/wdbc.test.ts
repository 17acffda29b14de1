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
      const result = await runHopcmAsync(run.backend, { k: 2 });
      expect(Array.from(result.labels)).toEqual(Array.from(reference.labels));
      expect([result.initIterations, result.pcmIterations]).toEqual([reference.initIterations, reference.pcmIterations]);
      let diff = 0;
      for (let i = 0; i < result.centers.length; i++) diff = Math.max(diff, Math.abs(result.centers[i] - reference.centers[i]));
      expect(diff).toBeLessThan(1e-6);
      expect(result.warnings).toEqual([]);
    } finally {
      run.dispose();
    }
  });
});
