/**
 * npm run cluster -- --input FILE.csv --k K [--label-column NAME] [--exclude COL,COL] [--json]
 * Thin wrapper: reads the file, runs lib/hopcm/cluster-csv, prints. Exit 2 on usage errors,
 * 1 on data errors.
 */
import { readFileSync, statSync } from "node:fs";
import { CLUSTER_USAGE, UsageError, clusterCsvText, formatClusterSummary, parseClusterArgs } from "../lib/hopcm/cluster-csv";

function main(argv: string[]): number {
  let args;
  try {
    args = parseClusterArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`cluster: ${e.message}\n\n${CLUSTER_USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args === null) {
    process.stdout.write(`${CLUSTER_USAGE}\n`);
    return 0;
  }
  let text: string;
  try {
    if (!statSync(args.input).isFile()) throw new Error("not a file");
    text = readFileSync(args.input, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : code === "EACCES" ? "permission denied" : (e as Error).message;
    process.stderr.write(`cluster: cannot read input ${JSON.stringify(args.input)}: ${why}\n`);
    return 1;
  }
  try {
    const run = clusterCsvText(text, args);
    process.stdout.write(args.json ? `${JSON.stringify(run.json)}\n` : `${formatClusterSummary(run)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof Error && ["CsvError", "FeatureError", "RangeError"].includes(e.name)) {
      process.stderr.write(`cluster: ${args.input}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
