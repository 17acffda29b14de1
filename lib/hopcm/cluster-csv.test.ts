import { describe, expect, it } from "vitest";
import { UsageError, clusterCsvText, formatClusterSummary, parseClusterArgs } from "./cluster-csv";

const csv = ["id,x,y,kind", "1,0,0,a", "2,0.2,0.1,a", "3,0.1,0.3,a", "4,10,10,b", "5,10.2,9.9,b", "6,9.8,10.1,b"].join("\n");

describe("cluster CLI", () => {
  it("parses arguments in both --flag value and --flag=value forms", () => {
    expect(parseClusterArgs(["--input", "f.csv", "--k=3", "--exclude", "id, x", "--exclude=y", "--json"])).toEqual({
      input: "f.csv",
      k: 3,
      labelColumn: null,
      exclude: ["id", "x", "y"],
      categorical: [],
      seed: 42,
      json: true,
    });
    expect(parseClusterArgs(["--help"])).toBeNull();
  });

  it("rejects bad usage with a clear message", () => {
    expect(() => parseClusterArgs(["--k", "2"])).toThrow(/--input FILE.csv is required/);
    expect(() => parseClusterArgs(["--input", "f.csv"])).toThrow(/--k K is required/);
    expect(() => parseClusterArgs(["--input", "f.csv", "--k", "two"])).toThrow(/positive integer/);
    expect(() => parseClusterArgs(["--input", "--k", "2"])).toThrow(/--input needs a value/);
    expect(() => parseClusterArgs(["--input", "f.csv", "--k", "2", "--bogus"])).toThrow(UsageError);
  });

  it("clusters a small CSV and reports ARI against the label column", () => {
    const args = parseClusterArgs(["--input", "mem.csv", "--k", "2", "--exclude", "id", "--label-column", "kind"])!;
    const run = clusterCsvText(csv, args);
    expect(run.ari).toBe(1);
    expect(run.json.labels.slice(0, 3).every((l) => l === run.json.labels[0])).toBe(true);
    const summary = formatClusterSummary(run);
    expect(summary).toMatch(/6 rows x 2 features, k = 2/);
    expect(summary).toMatch(/ARI 1\.0000/);
    expect(JSON.parse(JSON.stringify(run.json))).not.toHaveProperty("nmi");
  });

  it("omits ari without a label column", () => {
    const run = clusterCsvText(csv, parseClusterArgs(["--input", "m", "--k", "2", "--exclude", "id,kind"])!);
    expect(run.json).not.toHaveProperty("ari");
    expect(run.ari).toBeNull();
  });

  it("explains unknown columns, non-numeric data, too many clusters, empty input", () => {
    const base = ["--input", "m.csv", "--k", "2"];
    expect(() => clusterCsvText(csv, parseClusterArgs([...base, "--label-column", "nope"])!)).toThrow(/unknown column "nope"; columns are: id, x, y, kind/);
    expect(() => clusterCsvText(csv, parseClusterArgs([...base, "--exclude", "id"])!)).toThrow(
      /column "kind" is not numeric: data row 1 has "a"; use --label-column, --exclude or --categorical kind/,
    );
    expect(() => clusterCsvText(csv, parseClusterArgs(["--input", "m", "--k", "9", "--exclude", "kind"])!)).toThrow(/exceeds the number of rows/);
    expect(() => clusterCsvText("a,b\n", parseClusterArgs(base)!)).toThrow(/no data rows/);
  });

  it("one-hot encodes columns declared categorical", () => {
    const run = clusterCsvText(csv, parseClusterArgs(["--input", "m", "--k", "2", "--exclude", "id", "--categorical", "kind"])!);
    expect(run.features.p).toBe(4);
  });
});
