import { readFileSync } from "node:fs";
import { parseCsv } from "@/lib/csv/csv";
import { adjustedRandIndex, fcm, fitFeatures, hopcm, kmeans, makeBlobs, type HopcmOptions } from "@/lib/hopcm/index";

type Data = { name: string; X: Float64Array; n: number; p: number; k: number; truth: ArrayLike<number> };
function csv(name: string, path: string, label: string, k: number): Data {
  const text = readFileSync(path, "utf8");
  const parsed = parseCsv(text) as unknown as { header: string[]; rows: string[][] } | { records: Record<string, string>[] };
  const records: Record<string, string>[] =
    (parsed as any).records ?? (parsed as any).rows.map((r: string[]) => Object.fromEntries((parsed as any).header.map((h: string, i: number) => [h, r[i]])));
  const labels = records.map((r) => r[label]);
  const keys = [...new Set(labels)];
  const feats = records.map((r) => {
    const o = { ...r };
    delete o[label];
    for (const k of ["id", "ID"]) delete o[k];
    return o;
  });
  const fm = fitFeatures(feats as any);
  return { name, X: fm.X, n: fm.n, p: fm.p, k, truth: labels.map((l) => keys.indexOf(l)) };
}
const sets: Data[] = [
  csv("wdbc", "../shared/datasets/wdbc.csv", "diagnosis", 2),
  csv("iris", "/tmp/ds/iris.csv", "species", 3),
  csv("penguins", "/tmp/ds/penguins.csv", "species", 3),
  csv("cars", "/tmp/ds/cars.csv", "origin", 3),
];
for (const seed of [1, 2, 3]) {
  const b = makeBlobs(600, 8, 4, { seed, spread: 3, std: 1 } as any) as any;
  sets.push({ name: `blobs${seed}`, X: b.X, n: b.n ?? 600, p: b.p ?? 8, k: 4, truth: b.labels });
}
const variants: Record<string, Partial<HopcmOptions>> = JSON.parse(process.env.VARIANTS ?? '{"default":{}}');
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
  console.log(line);
}
