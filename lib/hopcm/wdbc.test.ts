// WDBC (569 x 30, label `diagnosis`) from the shared datasets folder, a sibling of the repo.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fcm, kmeans } from "./baselines";
import { clusterCsvText, parseClusterArgs } from "./cluster-csv";
import { csvRecords, parseCsv } from "../csv/csv";
import { fitFeatures } from "./features";
import { hopcm, hopcmIncremental, hopcmPredict, mulberry32, type HopcmModel } from ".";
import { adjustedRandIndex, clusterSizes, normalizedMutualInfo, silhouette } from "./metrics";

const here = path.dirname(fileURLToPath(import.meta.url));
const WDBC = path.resolve(here, "../../../shared/datasets/wdbc.csv");
if (!existsSync(WDBC)) throw new Error(`WDBC dataset not found at ${WDBC} (expected <repo>/../shared/datasets/wdbc.csv)`);
const text = readFileSync(WDBC, "utf8");
const fm = fitFeatures(csvRecords(parseCsv(text)), { label: "diagnosis", strictNumeric: true });
const { X, n, p } = fm;
const truth = fm.labels as string[];
const ari = (labels: ArrayLike<number>) => adjustedRandIndex(truth, labels);

describe("WDBC", () => {
  it("has 569 records x 30 z-scored features and a complete label", () => {
    expect([n, p]).toEqual([569, 30]);
    expect(fm.report.missing).toEqual({});
    expect(new Set(truth)).toEqual(new Set(["benign", "malignant"]));
  });

  const batch = hopcm(X, n, p, { k: 2 });

  it("HoPCM scores at least k-means, FCM and 0.66 ARI, with two non-empty clusters", () => {
    const a = ari(batch.labels);
    const aKm = ari(kmeans(X, n, p, { k: 2 }).labels);
    const aFcm = ari(fcm(X, n, p, { k: 2 }).labels);
    expect(a).toBeGreaterThanOrEqual(aKm);
    expect(a).toBeGreaterThanOrEqual(aFcm);
    expect(a).toBeGreaterThanOrEqual(0.66);
    const sizes = clusterSizes(batch.labels, 2);
    expect(Math.min(...sizes)).toBeGreaterThan(100);
    expect(batch.warnings).toEqual([]);
    expect(normalizedMutualInfo(truth, batch.labels)).toBeGreaterThan(0.5);
    expect(silhouette(X, n, p, batch.labels)).toBeGreaterThan(0.3);
  });

  it("never collapses to one cluster, whatever the seed", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = hopcm(X, n, p, { k: 2, seed });
      expect(Math.min(...clusterSizes(r.labels, 2))).toBeGreaterThan(100);
      expect(ari(r.labels)).toBeGreaterThanOrEqual(0.66);
    }
  });

  it("plain PCM collapses (the measured failure the guard exists for)", () => {
    // a = 0: no fuzzy term; guard off. Both centers slide to the same mode (measured with the
    // first defaults' eta, m 2 and K 1).
    const pcm = hopcm(X, n, p, { k: 2, a: 0, b: 1, m: 2, K: 1, labelBy: "typicality", maxShrinks: 0 });
    expect(pcm.warnings.join(" ")).toMatch(/coincident/);
    let gap = 0;
    for (let l = 0; l < p; l++) gap += (pcm.centers[l] - pcm.centers[p + l]) ** 2;
    expect(gap).toBeLessThan(0.01 * Math.min(...pcm.eta)); // within a tenth of a cluster radius
    expect(ari(pcm.labels)).toBeLessThan(0.05);
  });

  it("the eta-shrinking guard rescues PFCM runs that merge clusters", () => {
    // b = a = 1 with the first defaults' wide eta (m 2, K 1): the typicality zones overlap and
    // PFCM alone merges the clusters on WDBC.
    const off = hopcm(X, n, p, { k: 2, b: 1, m: 2, K: 1, maxShrinks: 0 });
    expect(off.warnings.join(" ")).toMatch(/coincident/);
    const on = hopcm(X, n, p, { k: 2, b: 1, m: 2, K: 1 });
    expect(on.shrinks).toBeGreaterThanOrEqual(1);
    expect(on.warnings).toEqual([]);
    expect(ari(on.labels)).toBeGreaterThanOrEqual(0.66);
  });

  it("incremental mode over 4 chunks stays close to the batch result (mean over 10 row orders)", () => {
    // One row order can be unlucky (file order: 0.64 against the batch's 0.71); the mean is what a
    // hospital adding uploads in whatever order can expect.
    const chunks = 4;
    const size = Math.ceil(n / chunks);
    let final = 0;
    let onlineSum = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const rng = mulberry32(seed);
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      const Xs = new Float64Array(n * p);
      order.forEach((r, i) => Xs.set(X.subarray(r * p, r * p + p), i * p));
      const truthS = order.map((r) => truth[r]);
      let model: HopcmModel | null = null;
      const online: number[] = [];
      for (let s = 0; s < n; s += size) {
        const e = Math.min(n, s + size);
        const step = hopcmIncremental(model, { X: Xs.subarray(s * p, e * p), n: e - s, p }, { k: 2 });
        model = step.model;
        online.push(...step.labels);
      }
      expect(model!.mass.reduce((a, b) => a + b, 0)).toBeCloseTo(n, 6);
      final += adjustedRandIndex(truthS, hopcmPredict(model!, Xs, n).labels) / 10;
      onlineSum += adjustedRandIndex(truthS, online) / 10;
    }
    const aBatch = ari(batch.labels);
    expect(Math.abs(final - aBatch)).toBeLessThan(0.03);
    expect(Math.abs(onlineSum - aBatch)).toBeLessThan(0.03);
  });

  it("the CLI path gives the same labels and ARI, with exactly the documented JSON keys", () => {
    const args = parseClusterArgs(["--input", WDBC, "--k", "2", "--label-column", "diagnosis", "--json"])!;
    const run = clusterCsvText(text, args);
    expect(Object.keys(run.json).sort()).toEqual(["ari", "centers", "iterations", "labels", "ms", "typicality"]);
    expect(run.json.labels).toEqual(Array.from(batch.labels));
    expect(run.json.ari).toBeCloseTo(ari(batch.labels), 15);
    expect(run.json.centers).toHaveLength(2);
    expect(run.json.centers[0]).toHaveLength(30);
    expect(run.json.typicality).toHaveLength(2);
    expect(run.json.typicality[0]).toHaveLength(569);
  });
});
