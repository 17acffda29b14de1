// `npx tsx scripts/generate-synthetic.ts [--n 500] [--seed 42] [--out .data/demo]`: synthetic
// patients (no real people) as patients.csv and patients.fhir.json. writeSyntheticFiles is
// exported for the demo seed.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { MAX_ROWS } from "../lib/records/dataset";
import { generatePatients, toCsv, toFhirBundle } from "../lib/records/synthetic";

export interface SyntheticFiles {
  csv: string;
  fhir: string;
  n: number;
}

/** Write patients.csv and patients.fhir.json (the same patients) into outDir; returns absolute paths. */
export async function writeSyntheticFiles({ n, seed, outDir }: { n: number; seed: number; outDir: string }): Promise<SyntheticFiles> {
  const patients = generatePatients({ n, seed });
  const dir = path.resolve(outDir);
  // Synthetic, but shaped like patient records: readable by their owner only, like real ones would be.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const csv = path.join(dir, "patients.csv");
  const fhir = path.join(dir, "patients.fhir.json");
  await writePrivate(csv, toCsv(patients));
  await writePrivate(fhir, JSON.stringify(toFhirBundle(patients), null, 1) + "\n");
  return { csv, fhir, n };
}

/** Writes a file only its owner may read; chmod too, since `mode` applies only when the file is created. */
async function writePrivate(file: string, text: string) {
  await writeFile(file, text, { encoding: "utf8", mode: 0o600 });
  await chmod(file, 0o600);
}

const USAGE = `usage: npx tsx scripts/generate-synthetic.ts [--n 500] [--seed 42] [--out .data/demo]

  --n N       number of patients (1..${MAX_ROWS})
  --seed S    PRNG seed, an integer (same seed, same patients)
  --out DIR   output folder (created if missing)`;

export function parseArgs(argv: readonly string[]): { n: number; seed: number; outDir: string } | "help" {
  const args = { n: 500, seed: 42, outDir: ".data/demo" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--help" || flag === "-h") return "help";
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
    i++;
    if (flag === "--n") {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > MAX_ROWS) throw new Error(`--n must be an integer from 1 to ${MAX_ROWS}, got ${value}`);
      args.n = n;
    } else if (flag === "--seed") {
      const seed = Number(value);
      if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${value}`);
      args.seed = seed;
    } else if (flag === "--out") args.outDir = value;
    else throw new Error(`unknown option ${flag}`);
  }
  return args;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args === "help") {
    console.log(USAGE);
    return;
  }
  const files = await writeSyntheticFiles(args);
  console.log(`${files.n} synthetic patients (seed ${args.seed}):`);
  console.log(files.csv);
  console.log(files.fhir);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
