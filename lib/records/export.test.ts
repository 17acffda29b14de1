import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import JSONSchemaValidator from "@asymmetrik/fhir-json-schema-validator";
import { describe, expect, it } from "vitest";
import { parseCsvDataset } from "./csv-import";
import { csvCell, exportFileName, isAgeColumn, toFhirCollection, toNdjson, toSafeCsv } from "./export";
import { parseFhirBundle } from "./fhir-import";
import { deidentifyAll } from "./phi";
import { generatePatients, toFhirBundle } from "./synthetic";

/** The FHIR R4 JSON schema (fhir.schema.json of R4, shipped with the validator package). */
const r4 = new JSONSchemaValidator();
const schemaErrors = (resource: object) => r4.validate(resource, true);

type Entry = { fullUrl: string; resource: Record<string, unknown> & { resourceType: string; id: string } };
const entriesOf = (bundle: object) => (bundle as { entry: Entry[] }).entry;
const WDBC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/datasets/wdbc.csv");

describe("exports", () => {
  it("neutralises spreadsheet formulas and quotes", () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell(-2.5)).toBe("-2.5"); // numbers stay numbers
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell(null)).toBe("");
  });
  it("round-trips through the importer", () => {
    const rows = [
      { a: 1.5, b: "x,y", c: null },
      { a: 2, b: "=cmd", c: "z" },
    ];
    const { dataset, issues } = parseCsvDataset(toSafeCsv(["a", "b", "c"], rows));
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(dataset!.rows[0]).toEqual({ a: 1.5, b: "x,y", c: null });
    expect(dataset!.rows[1].b).toBe("'=cmd");
    expect(
      toNdjson(rows)
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual(rows);
  });
  it("writes ages over 89 as 90+ in CSV and NDJSON", () => {
    expect(isAgeColumn("30525-0 Age")).toBe(true);
    expect(isAgeColumn("age_years")).toBe(true);
    expect(isAgeColumn("8867-4 Heart rate")).toBe(false);
    expect(isAgeColumn("stage")).toBe(false);
    const rows = [
      { age: 93, stage: 95 },
      { age: 89, stage: 1 },
    ];
    expect(toSafeCsv(["age", "stage"], rows)).toBe("age,stage\r\n90+,95\r\n89,1\r\n");
    expect(toNdjson(rows)).toBe('{"age":"90+","stage":95}\n{"age":89,"stage":1}\n');
  });
  it("names files after the dataset or cluster", () => {
    expect(exportFileName("WDBC 2025.csv", "fhir.json")).toBe("wdbc-2025.fhir.json");
    expect(exportFileName("Cluster 2 of run a1b2c3d4", "csv")).toBe("cluster-2-of-run-a1b2c3d4.csv");
    expect(exportFileName("", "ndjson")).toBe("medshare-records.ndjson");
  });
});

describe("FHIR R4 export", () => {
  it("the schema check can fail: it rejects an Observation without code, a text value, a bad gender", () => {
    expect(schemaErrors({ resourceType: "Observation", status: "final" }).length).toBeGreaterThan(0);
    expect(schemaErrors({ resourceType: "Observation", status: "final", code: { text: "x" }, valueQuantity: { value: "1" } }).length).toBeGreaterThan(0);
    expect(schemaErrors({ resourceType: "Patient", gender: "M" }).length).toBeGreaterThan(0);
    expect(
      schemaErrors({
        resourceType: "Bundle",
        type: "collection",
        entry: [{ fullUrl: "urn:uuid:1", resource: { resourceType: "Observation", status: "final" } }],
      }).length,
    ).toBeGreaterThan(0);
  });

  it("exports de-identified synthetic FHIR as a valid R4 collection: Patient fields, LOINC codings, UCUM units, fullUrls, 90+", () => {
    const patients = generatePatients({ n: 60, seed: 3 }); // seed 3 has a patient over 89;
    const imported = parseFhirBundle(JSON.stringify(toFhirBundle(patients))).dataset!;
    const ds = deidentifyAll(imported, { referenceYear: 2026 });
    const columns = ds.columns.map((c) => c.name);
    expect(columns).toContain("gender");
    expect(columns).toContain("birthDate");
    expect(columns).toContain("state");
    const bundle = toFhirCollection(columns, ds.rows);
    expect(schemaErrors(bundle)).toEqual([]);
    expect(bundle).toMatchObject({ resourceType: "Bundle", type: "collection" });

    const entries = entriesOf(bundle);
    for (const e of entries) expect(e.fullUrl).toBe(`urn:uuid:${e.resource.id}`);
    expect(new Set(entries.map((e) => e.fullUrl)).size).toBe(entries.length);
    expect(entries.every((e) => /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(e.fullUrl))).toBe(true);

    const patientsOut = entries.filter((e) => e.resource.resourceType === "Patient").map((e) => e.resource);
    expect(patientsOut).toHaveLength(60);
    for (const p of patientsOut) {
      expect(["male", "female"]).toContain(p.gender);
      expect(p.birthDate).toMatch(/^\d{4}$/);
      expect(p.address).toEqual([expect.objectContaining({ state: expect.stringMatching(/^[A-Z]{2}$/) })]);
      expect(p).not.toHaveProperty("name");
      expect(p).not.toHaveProperty("identifier");
    }
    const observations = entries.filter((e) => e.resource.resourceType === "Observation").map((e) => e.resource as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    // gender, birth year and state are Patient fields, never Observations
    expect(observations.some((o) => ["gender", "birthDate", "state"].includes(o.code.text))).toBe(false);
    const heartRate = observations.filter((o) => o.code.coding?.[0]?.code === "8867-4");
    expect(heartRate.length).toBeGreaterThan(0);
    for (const o of heartRate) {
      expect(o.code.coding[0]).toMatchObject({ system: "http://loinc.org", code: "8867-4" });
      expect(o.valueQuantity).toMatchObject({ unit: "/min", system: "http://unitsofmeasure.org", code: "/min" });
      expect(entries.some((e) => e.fullUrl === o.subject.reference)).toBe(true);
    }
    expect(observations.find((o) => o.code.coding?.[0]?.code === "8480-6")?.valueQuantity.code).toBe("mm[Hg]");
    const ages = observations.filter((o) => o.code.coding?.[0]?.code === "30525-0");
    expect(ages).toHaveLength(60);
    const old = ages.filter((o) => o.valueQuantity.comparator === ">=");
    expect(old.length).toBeGreaterThan(0); // the generator makes patients over 89
    for (const o of old) expect(o.valueQuantity).toEqual({ value: 90, comparator: ">=", unit: "a", system: "http://unitsofmeasure.org", code: "a" });
    for (const o of ages) expect(o.valueQuantity.value).toBeLessThanOrEqual(90);

    // and MedShare's own importer reads it back: one row per patient
    const back = parseFhirBundle(JSON.stringify(bundle));
    expect(back.issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(back.dataset!.rows).toHaveLength(60);
  });

  it("exports a CSV dataset (wdbc) and raw ages as valid R4", () => {
    const { dataset } = parseCsvDataset(readFileSync(WDBC, "utf8"));
    const columns = dataset!.columns.map((c) => c.name);
    const bundle = toFhirCollection(columns, dataset!.rows.slice(0, 20));
    expect(schemaErrors(bundle)).toEqual([]);
    const more = toFhirCollection(
      ["Age", "sex", "birth_year", "note"],
      [
        { Age: 97, sex: "F", birth_year: 1931, note: "=x" },
        { Age: null, sex: "?", birth_year: null, note: null },
      ],
    );
    expect(schemaErrors(more)).toEqual([]);
    const res = entriesOf(more).map((e) => e.resource as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(res[0]).toMatchObject({ resourceType: "Patient", gender: "female", birthDate: "1931" });
    expect(res[1].valueQuantity).toMatchObject({ value: 90, comparator: ">=" });
    expect(res[2]).toMatchObject({ resourceType: "Observation", valueString: "=x" });
    expect(res[3]).toMatchObject({ resourceType: "Patient", gender: "unknown" });
    expect(res).toHaveLength(4);
  });
});
