/**
 * The `npm run cluster` command without its I/O: argument parsing, CSV -> features -> HoPCM,
 * the readable summary and the JSON output. scripts/cluster.ts reads the file and prints.
 */
import { parseCsv, csvRecords } from "../csv/csv";
import { FeatureError, fitFeatures, featureNames, unscale, type FeatureMatrix } from "./features";
import { hopcm, type HopcmResult } from "./hopcm";
import { adjustedRandIndex, normalizedMutualInfo, clusterSizes } from "./metrics";

export const CLUSTER_USAGE = `usage: npm run cluster -- --input FILE.csv --k K [options]

  --input FILE        CSV file with a header row
  --k K               number of clusters (integer >= 1)
  --label-column COL  ground-truth column: left out of the features, used for ARI/NMI
  --exclude A,B       columns to leave out (e.g. ids)
  --categorical A,B   non-numeric columns to one-hot encode (others must be numeric)
  --seed N            PRNG seed (default 42)
  --json              print one JSON object: labels, centers (z-scored feature space),
                      typicality (k x n), iterations, ms (clustering time), ari
  --help              this text`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface ClusterArgs {
  input: string;
  k: number;
  labelColumn: string | null;
  exclude: string[];
  categorical: string[];
  seed: number;
  json: boolean;
}

const list = (v: string) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** Parses CLI arguments (`--flag value` or `--flag=value`). Returns null for --help. */
export function parseClusterArgs(argv: string[]): ClusterArgs | null {
  const args: Partial<ClusterArgs> & { exclude: string[]; categorical: string[] } = { exclude: [], categorical: [] };
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let value: string | undefined;
    const eq = flag.indexOf("=");
    if (flag.startsWith("--") && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const take = () => {
      if (value !== undefined) return value;
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--help":
      case "-h":
        return null;
      case "--input":
        args.input = take();
        break;
      case "--k": {
        const raw = take();
        const k = Number(raw);
        if (!Number.isInteger(k) || k < 1) throw new UsageError(`--k must be a positive integer, got ${JSON.stringify(raw)}`);
        args.k = k;
        break;
      }
      case "--label-column":
        args.labelColumn = take();
        break;
      case "--exclude":
        args.exclude.push(...list(take()));
        break;
      case "--categorical":
        args.categorical.push(...list(take()));
        break;
      case "--seed": {
        const raw = take();
        const seed = Number(raw);
        if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${JSON.stringify(raw)}`);
        args.seed = seed;
        break;
      }
      case "--json":
        if (value !== undefined) throw new UsageError("--json takes no value");
        args.json = true;
        break;
      default:
        throw new UsageError(`unknown argument ${JSON.stringify(argv[i])}`);
    }
  }
  if (!args.input) throw new UsageError("--input FILE.csv is required");
  if (args.k === undefined) throw new UsageError("--k K is required");
  return {
    input: args.input,
    k: args.k,
    labelColumn: args.labelColumn ?? null,
    exclude: args.exclude,
    categorical: args.categorical,
    seed: args.seed ?? 42,
    json: args.json ?? false,
  };
}

/** The --json output, exactly these keys (ari only with a label column). */
export interface ClusterJson {
  labels: number[];
  centers: number[][];
  typicality: number[][];
  iterations: number;
  ms: number;
  ari?: number;
}

export interface ClusterRun {
  args: ClusterArgs;
  features: FeatureMatrix;
  result: HopcmResult;
  /** Clustering time (features excluded), milliseconds. */
  ms: number;
  /** ARI / NMI against the label column over rows with a label; null without one. */
  ari: number | null;
  nmi: number | null;
  json: ClusterJson;
}

const rows = (M: Float64Array, rowsN: number, cols: number) => Array.from({ length: rowsN }, (_, r) => Array.from(M.subarray(r * cols, (r + 1) * cols)));

/** CSV text -> z-scored features -> HoPCM. Throws CsvError / FeatureError / RangeError. */
export function clusterCsvText(text: string, args: ClusterArgs, now: () => number = () => performance.now()): ClusterRun {
  const table = parseCsv(text);
  if (table.rows.length === 0) throw new RangeError("the CSV has a header but no data rows");
  let features: FeatureMatrix;
  try {
    features = fitFeatures(csvRecords(table), {
      label: args.labelColumn ?? undefined,
      exclude: args.exclude,
      categorical: args.categorical,
      strictNumeric: true,
    });
  } catch (e) {
    if (e instanceof FeatureError && e.column && e.message.includes("is not numeric"))
      e.message = e.message.replace(/ \(exclude .*\)$/, "") + `; use --label-column, --exclude or --categorical ${e.column}`;
    throw e;
  }
  const { X, n, p } = features;
  if (args.k > n) throw new RangeError(`--k ${args.k} exceeds the number of rows (${n})`);
  const t0 = now();
  const result = hopcm(X, n, p, { k: args.k, seed: args.seed });
  const ms = now() - t0;
  let ari: number | null = null;
  let nmi: number | null = null;
  if (features.labels) {
    const truth: string[] = [];
    const predicted: number[] = [];
    features.labels.forEach((l, j) => {
      if (l === null) return;
      truth.push(l);
      predicted.push(result.labels[j]);
    });
    ari = adjustedRandIndex(truth, predicted);
    nmi = normalizedMutualInfo(truth, predicted);
  }
  const json: ClusterJson = {
    labels: Array.from(result.labels),
    centers: rows(result.centers, args.k, p),
    typicality: rows(result.typicality, args.k, n),
    iterations: result.iterations,
    ms: Math.round(ms * 1000) / 1000,
  };
  if (ari !== null) json.ari = ari;
  return { args, features, result, ms, ari, nmi, json };
}

const fmt = (x: number) => (Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(3) : x.toFixed(3));

/** Human-readable report of a run. */
export function formatClusterSummary(run: ClusterRun): string {
  const { args, features, result } = run;
  const { n, p, schema, report } = features;
  const k = args.k;
  const out: string[] = [];
  out.push(`HoPCM on ${args.input}: ${n} rows x ${p} features, k = ${k}, seed ${args.seed}`);
  if (schema.label) out.push(`label column: ${schema.label} (not a feature)`);
  if (schema.excluded.length) out.push(`excluded: ${schema.excluded.join(", ")}`);
  const missing = Object.entries(report.missing);
  out.push(missing.length ? `missing values (imputed): ${missing.map(([c, v]) => `${c} ${v}`).join(", ")}` : "missing values: none");
  if (report.constant.length) out.push(`constant columns (encode as 0): ${report.constant.join(", ")}`);
  out.push(
    `iterations: ${result.iterations} (FCM init ${result.initIterations}, possibilistic ${result.pcmIterations}), ` +
      `${result.converged ? "converged" : "NOT converged"}, ${run.ms.toFixed(1)} ms`,
  );
  const guard = [
    result.reseeds && `${result.reseeds} re-seed(s)`,
    result.softenings && `fuzzifier lowered to m = ${result.m}`,
    result.shrinks && `eta shrunk ${result.shrinks} time(s)`,
  ].filter(Boolean);
  if (guard.length) out.push(`coincident-cluster guard: ${guard.join(", ")}`);
  for (const w of result.warnings) out.push(`warning: ${w}`);
  const sizes = clusterSizes(result.labels, k);
  out.push(`cluster sizes: ${sizes.map((s, i) => `#${i} ${s}`).join(", ")}`);
  if (run.ari !== null) out.push(`against ${schema.label}: ARI ${run.ari.toFixed(4)}, NMI ${run.nmi!.toFixed(4)}`);
  if (features.labels) {
    const classes = [...new Set(features.labels.map((l) => l ?? "(missing)"))].sort();
    out.push("", ["cluster", ...classes].join("\t"));
    for (let i = 0; i < k; i++) {
      const counts = classes.map((c) => features.labels!.filter((l, j) => (l ?? "(missing)") === c && result.labels[j] === i).length);
      out.push([`#${i}`, ...counts].join("\t"));
    }
  }
  out.push("", `centers (original units)`, ["feature", ...Array.from({ length: k }, (_, i) => `#${i}`)].join("\t"));
  const names = featureNames(schema);
  const centers = Array.from({ length: k }, (_, i) => unscale(schema, result.centers.subarray(i * p, (i + 1) * p)));
  names.forEach((name, l) => out.push([name, ...centers.map((c) => fmt(c[l]))].join("\t")));
  return out.join("\n");
}
