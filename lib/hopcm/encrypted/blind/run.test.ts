// The blind protocol on CKKS ciphertexts (issue #14): the CSP's per-record work under encryption,
// the key holder seeing masked values and aggregates only. Against the plaintext reference of the
// same algorithm (lib/hopcm/blind.ts), on a short run (one draw, a few steps per phase).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { csvRecords, parseCsv } from "../../../csv/csv";
import { blindCluster, type BlindOptions } from "../../blind";
import { fitFeatures } from "../../features";
import { reconstructionError, reconstructRecords, type KeyHolderTranscript } from "../leakage";
import { adjustedRandIndex } from "../../metrics";
import { makeBlobs } from "../../synthetic";
import { loadSealNode } from "../seal-node";
import { blindInOneProcess } from "./bench";

describe("the blind protocol on ciphertexts (N = 8192)", () => {
  it("computes the reference's aggregates and labels, the key holder seeing only masked values and aggregates", async () => {
    const seal = await loadSealNode();
    const { X, n, p } = makeBlobs(200, 4, 2, { seed: 3, spread: 4 });
    const options: BlindOptions = { k: 2, seed: 5, draws: 1, maxIter: 3 };
    const { keyHolder, csp, run, dispose } = blindInOneProcess(seal, X, n, p, 2, 3, true);
    const started = performance.now();
    const encrypted = await run(options);
    const ms = performance.now() - started;
    const reference = blindCluster(X, n, p, options);

    expect(encrypted.trace.length).toBe(reference.trace.length);
    let worst = 0;
    encrypted.trace.forEach((step, t) => {
      const ref = reference.trace[t];
      worst = Math.max(worst, Math.abs(step.meanD2 - ref.meanD2) / ref.meanD2);
      for (let i = 0; i < 2; i++) {
        const W = ref.sums[i * (p + 2) + p];
        for (let c = 0; c < p + 2; c++) worst = Math.max(worst, Math.abs(step.sums[i * (p + 2) + c] - ref.sums[i * (p + 2) + c]) / Math.max(W, 1));
      }
    });
    console.log(
      `blind protocol, n = ${n}, p = ${p}, k = 2, ${encrypted.iterations} steps: ${(ms / 1000).toFixed(1)} s ` +
        `(key holder ${(keyHolder.ms / 1000).toFixed(1)} s), traffic ${(csp.traffic.toKeyHolder / 2 ** 20).toFixed(0)} MB to the key holder, ` +
        `${(csp.traffic.toCsp / 2 ** 20).toFixed(0)} MB back; worst aggregate error ${worst.toExponential(1)} of W`,
    );
    expect(worst).toBeLessThan(1e-3);
    expect(adjustedRandIndex(reference.labels, encrypted.labels)).toBeGreaterThanOrEqual(0.98);
    // what the key holder decrypted per record: masked values, each far wider than any record value...
    const refreshed = keyHolder.seen.filter((s) => s.kind === "refresh");
    expect(refreshed.length).toBeGreaterThan(0);
    for (const { values } of refreshed) {
      let big = 0;
      for (const v of values) if (Math.abs(v) > 1e3) big++;
      expect(big / values.length).toBeGreaterThan(0.99);
    }
    // ...and for the labels, signs of distance differences in an order the CSP permuted per record:
    // about half of them +1 whatever the clusters' sizes, all within [-1, 1]
    const signs = keyHolder.seen.filter((s) => s.kind === "labels");
    expect(signs.length).toBe(1);
    const plus = signs[0].values.filter((v) => v > 0).length / n;
    expect(plus).toBeGreaterThan(0.35);
    expect(plus).toBeLessThan(0.65);
    expect(Math.max(...signs[0].values.map(Math.abs))).toBeLessThan(1.01);
    dispose();
  }, 600_000);

  it("defeats the key holder's least-squares attack on WDBC: everything it decrypted solves to nothing (>= 0.9 sd per feature)", async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const WDBC = path.resolve(here, "../../../../../shared/datasets/wdbc.csv");
    if (!existsSync(WDBC)) throw new Error(`WDBC dataset not found at ${WDBC}`);
    const wdbc = fitFeatures(csvRecords(parseCsv(readFileSync(WDBC, "utf8"))), { label: "diagnosis", strictNumeric: true });
    const { X, n, p } = wdbc;
    const seal = await loadSealNode();
    const { keyHolder, run: blindRun, dispose } = blindInOneProcess(seal, X, n, p, 2, 3, true);
    // the controller runs at the key holder: it knows which centers each step used and where its step began
    const starts: number[] = [];
    const options: BlindOptions = { k: 2, seed: 1, draws: 1, maxIter: 2 };
    const run = await blindRun(options, (order) => {
      if (order.kind === "seeds" || order.kind === "centers") starts.push(keyHolder.seen.length);
    });
    const reference = blindCluster(X, n, p, options);
    expect(adjustedRandIndex(reference.labels, run.labels)).toBeGreaterThanOrEqual(0.98);

    // the attack of lib/hopcm/encrypted/leakage.ts: every vector it decrypted during a step, k at a
    // time, taken as the records' squared distances to that step's centers, solved by least squares
    const rounds: KeyHolderTranscript["rounds"] = [];
    run.trace.forEach((step, t) => {
      if (!step.centers) return;
      const seen = keyHolder.seen.slice(starts[t], starts[t + 1] ?? keyHolder.seen.length);
      for (let q = 0; q + 2 <= seen.length; q += 2) {
        const d2 = new Float64Array(2 * n);
        d2.set(seen[q].values, 0);
        d2.set(seen[q + 1].values, n);
        rounds.push({ k: 2, centers: step.centers, d2 });
      }
    });
    expect(rounds.length).toBeGreaterThan(50);
    const error = reconstructionError(X, reconstructRecords({ n, p, rounds }), n, p);
    console.log(`key holder's attack on a blind WDBC run: ${rounds.length} rounds, error per feature min ${Math.min(...error).toFixed(2)} sd`);
    expect(Math.min(...error)).toBeGreaterThanOrEqual(0.9);
    dispose();
  }, 900_000);

  it("runs across blocks: 4,396 records in two uploads' blocks (4,096 and 300 records) give the reference's aggregates and labels", async () => {
    const seal = await loadSealNode();
    const { X, n, p } = makeBlobs(4396, 3, 2, { seed: 8, spread: 4 });
    const options: BlindOptions = { k: 2, seed: 2, draws: 1, maxIter: 2 };
    const { keyHolder, run, dispose } = blindInOneProcess(seal, X, n, p, 2, 3, true, [4096, 300]);
    const encrypted = await run(options);
    const reference = blindCluster(X, n, p, options);
    let worst = 0;
    encrypted.trace.forEach((step, t) => {
      const ref = reference.trace[t];
      for (let c = 0; c < ref.sums.length; c++) worst = Math.max(worst, Math.abs(step.sums[c] - ref.sums[c]) / ref.sums[Math.floor(c / (p + 2)) * (p + 2) + p]);
    });
    expect(worst).toBeLessThan(1e-3);
    expect(adjustedRandIndex(reference.labels, encrypted.labels)).toBeGreaterThanOrEqual(0.98);
    // the second block's records were labelled too, and the key holder's views were per block
    expect(new Set(encrypted.labels.subarray(4096))).toEqual(new Set([0, 1]));
    expect(new Set(keyHolder.seen.map((s) => s.values.length))).toEqual(new Set([4096, 300]));
    dispose();
  }, 900_000);
});
