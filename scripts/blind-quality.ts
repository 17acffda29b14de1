/**
 * The blind algorithm (lib/hopcm/blind.ts) against k-means, FCM and HoPCM on public datasets:
 * mean ARI over seeds, label column left out, z-scored by fitFeatures (as scripts/quality-compare.ts).
 *   BLIND='{"default":{},"exact":{"geo":"exact"},"S.05":{"S":0.05}}' QUALITY_DATA=/tmp/ds npx tsx --tsconfig tsconfig.json scripts/blind-quality.ts
 * A variant is BlindOptions plus `geo`: the geometric series' extra terms (geometricFunctions) or
 * "exact" for the exact inverses. BASELINES=0 skips k-means, FCM and HoPCM. QUALITY_DATA as in
 * scripts/quality-compare.ts.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseCsv } from "@/lib/csv/csv";
import { adjustedRandIndex, fcm, fitFeatures, hopcm, kmeans, makeBlobs } from "@/lib/hopcm/index";
import { blindCluster, exactFunctions, geometricFunctions, type BlindOptions } from "@/lib/hopcm/blind";

type Data = { name: string; X: Float64Array; n: number; p: number; k: number; truth: ArrayLike<number> };
function csv(name: string, path: string, label: string, k: number): Data {
  const table = parseCsv(readFileSync(path, "utf8"));
  const records = table.rows.map((r) => Object.fromEntries(table.header.map((h, i) => [h, r[i]])));
  const classes = [...new Set(records.map((r) => r[label]))];
  const features = fitFeatures(records.map(({ [label]: _truth, ...rest }) => (void _truth, rest)));
  return { name, X: features.X, n: features.n, p: features.p, k, truth: records.map((r) => classes.indexOf(r[label])) };
}
const dir = process.env.QUALITY_DATA ?? "/tmp/ds";
const sets: Data[] = [
  ["wdbc", "../shared/datasets/wdbc.csv", "diagnosis", 2] as const,
  ["iris", `${dir}/iris.csv`, "species", 3] as const,
  ["penguins", `${dir}/penguins.csv`, "species", 3] as const,
  ["cars", `${dir}/cars.csv`, "origin", 3] as const,
]
  .filter(([, path]) => existsSync(path))
  .map(([name, path, label, k]) => csv(name, path, label, k));
for (const seed of [1, 2, 3]) {
  const b = makeBlobs(600, 8, 4, { seed, spread: 3, std: 1 });
  sets.push({ name: `blobs${seed}`, X: b.X, n: b.n, p: b.p, k: 4, truth: b.labels });
}
const variants: Record<string, Partial<BlindOptions>> = JSON.parse(process.env.BLIND ?? '{"default":{}}');
const seeds = [1, 2, 3, 4, 5, 42];
const baselines = process.env.BASELINES !== "0";
const mean = (f: (s: number) => number) => seeds.map(f).reduce((a, b) => a + b, 0) / seeds.length;
for (const d of sets) {
  let line = `${d.name.padEnd(9)}`;
  if (baselines) {
    const km = mean((s) => adjustedRandIndex(d.truth, kmeans(d.X, d.n, d.p, { k: d.k, seed: s }).labels));
    const fc = mean((s) => adjustedRandIndex(d.truth, fcm(d.X, d.n, d.p, { k: d.k, seed: s }).labels));
    const ho = mean((s) => adjustedRandIndex(d.truth, hopcm(d.X, d.n, d.p, { k: d.k, seed: s }).labels));
    line += ` km ${km.toFixed(3)} fcm ${fc.toFixed(3)} hopcm ${ho.toFixed(3)}`;
  }
  for (const [v, o] of Object.entries(variants)) {
    let it = 0;
    const a = mean((s) => {
      const { geo, ...rest } = o as Partial<BlindOptions> & { geo?: number | "exact" };
      const approx = geo === "exact" ? exactFunctions : geo !== undefined ? geometricFunctions(geo) : undefined;
      const r = blindCluster(d.X, d.n, d.p, { k: d.k, seed: s, ...rest, ...(approx ? { approx } : {}) });
      it = Math.max(it, r.iterations);
      return adjustedRandIndex(d.truth, r.labels);
    });
    line += ` | ${v} ${a.toFixed(3)} ${it}`;
  }
  console.log(line);
}
