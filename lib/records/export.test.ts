import { describe, expect, it } from "vitest";
import { parseCsvDataset } from "./csv-import";
import { csvCell, toFhirCollection, toNdjson, toSafeCsv } from "./export";
import { parseFhirBundle } from "./fhir-import";

describe("exports", () => {
  it("neutralises spreadsheet formulas and quotes", () => {
    expect(csvCell("=HYPERLINK(\"http://x\")")).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell(-2.5)).toBe("-2.5"); // numbers stay numbers
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell(null)).toBe("");
  });
  it("round-trips through the importer", () => {
    const rows = [{ a: 1.5, b: "x,y", c: null }, { a: 2, b: "=cmd", c: "z" }];
    const { dataset, issues } = parseCsvDataset(toSafeCsv(["a", "b", "c"], rows));
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(dataset!.rows[0]).toEqual({ a: 1.5, b: "x,y", c: null });
    expect(dataset!.rows[1].b).toBe("'=cmd");
    expect(toNdjson(rows).trim().split("\n").map((l) => JSON.parse(l))).toEqual(rows);
  });
  it("writes a FHIR Bundle the importer accepts", () => {
    const bundle = toFhirCollection(["8867-4 Heart rate", "note"], [{ "8867-4 Heart rate": 72, note: "ok" }]);
    const { dataset, issues } = parseFhirBundle(JSON.stringify(bundle));
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(dataset!.rows).toHaveLength(1);
  });
});
