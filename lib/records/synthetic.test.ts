import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fitFeatures } from "../hopcm/features";
import { kmeans } from "../hopcm/baselines";
import { adjustedRandIndex } from "../hopcm/metrics";
import { parseArgs, writeSyntheticFiles } from "../../scripts/generate-synthetic";
import { parseCsvDataset } from "./csv-import";
import type { Dataset, Row } from "./dataset";
import { parseFhirBundle } from "./fhir-import";
import {
  generatePatients,
  MEASURES,
  measureColumn,
  type MeasureKey,
  patientRow,
  type PatientRecord,
  PHENOTYPE_COLUMN,
  PHENOTYPES,
  type Phenotype,
  SYNTHETIC_COLUMNS,
  toCsv,
  toFhirBundle,
} from "./synthetic";

const patients = generatePatients({ n: 600, seed: 42 });
const csvText = toCsv(patients);
const bundle = toFhirBundle(patients);
const csvParsed = parseCsvDataset(csvText);
const fhirParsed = parseFhirBundle(JSON.stringify(bundle));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const valuesOf = (ps: PatientRecord[], key: MeasureKey) => ps.map((p) => p.values[key]).filter((v): v is number => v !== undefined);
const byPhenotype = (key: MeasureKey, stat = mean) =>
  Object.fromEntries(
    PHENOTYPES.map((ph) => [
      ph,
      stat(
        valuesOf(
          patients.filter((p) => p.phenotype === ph),
          key,
        ),
      ),
    ]),
  ) as Record<Phenotype, number>;
function correlation(a: number[], b: number[]) {
  const ma = mean(a),
    mb = mean(b);
  let s = 0,
    sa = 0,
    sb = 0;
  for (let i = 0; i < a.length; i++) {
    s += (a[i] - ma) * (b[i] - mb);
    sa += (a[i] - ma) ** 2;
    sb += (b[i] - mb) ** 2;
  }
  return s / Math.sqrt(sa * sb);
}
const sorted = (r: Row) =>
  Object.keys(r)
    .sort()
    .map((k) => [k, r[k]]);
/** Rows keyed by id. */
const rowsById = (ds: Dataset) => new Map(ds.rows.map((r) => [r.id as string, r]));

describe("generatePatients", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    expect(generatePatients({ n: 50, seed: 42 })).toEqual(patients.slice(0, 50));
    expect(generatePatients({ n: 50, seed: 43 })[0]).not.toEqual(patients[0]);
    expect(toCsv(generatePatients({ n: 20, seed: 9 }))).toBe(toCsv(generatePatients({ n: 20, seed: 9 })));
  });

  it("has the three phenotypes in roughly the default proportions, or as weighted", () => {
    const share = (ph: Phenotype) => patients.filter((p) => p.phenotype === ph).length / patients.length;
    expect(share("healthy")).toBeGreaterThan(0.4);
    expect(share("metabolic-syndrome")).toBeGreaterThan(0.22);
    expect(share("cardiac")).toBeGreaterThan(0.13);
    const onlyCardiac = generatePatients({ n: 30, seed: 1, phenotypes: { cardiac: 1 } });
    expect(new Set(onlyCardiac.map((p) => p.phenotype))).toEqual(new Set(["cardiac"]));
    expect(() => generatePatients({ n: 1, seed: 1, phenotypes: { cardiac: 0 } })).toThrow(RangeError);
  });

  it("keeps every value in its plausible range, diastolic below systolic, with unique ids", () => {
    const problems: string[] = [];
    for (const p of patients) {
      for (const m of MEASURES) {
        const v = p.values[m.key];
        if (v !== undefined && !(v >= m.min && v <= m.max && Number(v.toFixed(m.decimals)) === v)) problems.push(`${m.key} ${v}`);
      }
      const { systolicBp: sbp, diastolicBp: dbp } = p.values;
      if (sbp !== undefined && dbp !== undefined && !(dbp < sbp)) problems.push(`BP ${sbp}/${dbp}`);
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(p.id)) problems.push(`id ${p.id}`);
      if (!/@example\.com$/.test(p.email) || !/^\(\d{3}\) 555-01\d\d$/.test(p.phone) || !/^9\d\d-\d\d-\d{4}$/.test(p.ssn)) problems.push(`identity ${p.id}`);
    }
    expect(problems).toEqual([]);
    expect(new Set(patients.map((p) => p.id)).size).toBe(patients.length);
  });

  it("has cluster structure: phenotype means differ clearly, in the clinical direction", () => {
    const bmi = byPhenotype("bmi");
    const glucose = byPhenotype("glucose");
    const hba1c = byPhenotype("hba1c");
    const tg = byPhenotype("triglycerides", median);
    const sbp = byPhenotype("systolicBp");
    const bnp = byPhenotype("bnp", median);
    const trop = byPhenotype("troponinI", median);
    const lvef = byPhenotype("lvef");
    const hr = byPhenotype("heartRate");
    expect(bmi["metabolic-syndrome"]).toBeGreaterThan(bmi.healthy + 7);
    expect(glucose["metabolic-syndrome"]).toBeGreaterThan(glucose.healthy + 30);
    expect(hba1c["metabolic-syndrome"]).toBeGreaterThan(6.3);
    expect(hba1c.healthy).toBeLessThan(5.7);
    expect(tg["metabolic-syndrome"]).toBeGreaterThan(2 * tg.healthy);
    expect(sbp["metabolic-syndrome"]).toBeGreaterThan(sbp.healthy + 15);
    expect(bnp.cardiac).toBeGreaterThan(10 * bnp.healthy);
    expect(trop.cardiac).toBeGreaterThan(20 * trop.healthy);
    expect(lvef.cardiac).toBeLessThan(lvef.healthy - 15);
    expect(hr.cardiac).toBeGreaterThan(hr.healthy + 15);
  });

  it("has within-patient correlations (glucose-HbA1c, systolic-diastolic, BNP-LVEF)", () => {
    const pairs = (a: MeasureKey, b: MeasureKey) => {
      const both = patients.filter((p) => p.values[a] !== undefined && p.values[b] !== undefined);
      return correlation(
        both.map((p) => p.values[a]!),
        both.map((p) => p.values[b]!),
      );
    };
    expect(pairs("glucose", "hba1c")).toBeGreaterThan(0.7);
    expect(pairs("systolicBp", "diastolicBp")).toBeGreaterThan(0.6);
    expect(pairs("bnp", "lvef")).toBeLessThan(-0.4);
  });

  it("k-means on the labs and vitals recovers the phenotypes (ARI > 0.6)", () => {
    const ds = csvParsed.dataset!;
    const features = MEASURES.filter((m) => m.key !== "age").map(measureColumn);
    const fm = fitFeatures(ds.rows, {
      label: PHENOTYPE_COLUMN,
      exclude: ds.columns.map((c) => c.name).filter((c) => !features.includes(c) && c !== PHENOTYPE_COLUMN),
    });
    const { labels } = kmeans(fm.X, fm.n, fm.p, { k: 3, seed: 1 });
    expect(adjustedRandIndex(fm.labels as string[], labels)).toBeGreaterThan(0.6);
  });
});

describe("toCsv / toFhirBundle round trip", () => {
  const expected = new Map(patients.map((p) => [p.id, patientRow(p)]));

  it("CSV: parseCsvDataset gives back exactly patientRow for every patient", () => {
    const { dataset, issues } = csvParsed;
    expect(issues).toEqual([]);
    expect(dataset!.columns.map((c) => c.name)).toEqual(SYNTHETIC_COLUMNS);
    expect(dataset!.rows).toEqual(patients.map(patientRow));
  });

  it("FHIR: a valid collection Bundle whose parse gives the same values (latest by date)", () => {
    expect(bundle).toMatchObject({ resourceType: "Bundle", type: "collection" });
    const loinc = new Set<string>();
    expect(bundle.entry.filter((e) => e.fullUrl !== `urn:uuid:${e.resource.id}`)).toEqual([]);
    expect(new Set(bundle.entry.map((e) => e.resource.resourceType))).toEqual(new Set(["Patient", "Observation"]));
    for (const { resource } of bundle.entry) {
      if (resource.resourceType === "Observation") {
        const coding = (resource.code as { coding: Array<{ system: string; code: string }> }).coding[0];
        if (coding.system === "http://loinc.org") loinc.add(coding.code);
      }
    }
    expect([...loinc].sort()).toEqual(MEASURES.map((m) => m.loinc).sort());
    for (const code of ["8867-4", "8480-6", "8462-4", "39156-5", "2339-0", "4548-4", "2571-8", "2093-3", "10839-9", "30934-4", "10230-1", "8310-5"])
      expect(loinc).toContain(code);
    expect(patients.some((p) => p.earlier.length > 0)).toBe(true);

    const { dataset, issues } = fhirParsed;
    expect(issues).toEqual([]);
    expect(new Set(dataset!.columns.map((c) => c.name))).toEqual(new Set(SYNTHETIC_COLUMNS));
    const got = rowsById(dataset!);
    expect(got.size).toBe(patients.length);
    expect([...expected.keys()].filter((id) => JSON.stringify(sorted(got.get(id)!)) !== JSON.stringify(sorted(expected.get(id)!)))).toEqual([]);
  });

  it("CSV and FHIR give the same dataset columns and kinds", () => {
    const a = csvParsed.dataset!;
    const b = fhirParsed.dataset!;
    const kinds = (ds: Dataset) => Object.fromEntries(ds.columns.map((c) => [c.name, c.kind]));
    expect(kinds(b)).toEqual(kinds(a));
    const strip = (rows: Row[]) => rows.map((r) => JSON.stringify(sorted(r)));
    expect(strip(b.rows)).toEqual(strip(a.rows));
  });
});

describe("scripts/generate-synthetic", () => {
  it("writes patients.csv and patients.fhir.json that parse to the same patients", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "medshare-synthetic-"));
    try {
      const files = await writeSyntheticFiles({ n: 25, seed: 7, outDir: dir });
      expect(files).toEqual({ csv: path.join(dir, "patients.csv"), fhir: path.join(dir, "patients.fhir.json"), n: 25 });
      const csv = parseCsvDataset(readFileSync(files.csv, "utf8"));
      const fhir = parseFhirBundle(readFileSync(files.fhir, "utf8"));
      expect([csv.issues, fhir.issues]).toEqual([[], []]);
      expect(csv.dataset!.rows).toEqual(generatePatients({ n: 25, seed: 7 }).map(patientRow));
      expect(fhir.dataset!.rows).toHaveLength(25);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("parses its arguments", () => {
    expect(parseArgs([])).toEqual({ n: 500, seed: 42, outDir: ".data/demo" });
    expect(parseArgs(["--n", "10", "--seed", "3", "--out", "/tmp/x"])).toEqual({ n: 10, seed: 3, outDir: "/tmp/x" });
    expect(parseArgs(["--help"])).toBe("help");
    expect(() => parseArgs(["--n", "0"])).toThrow(/--n/);
    expect(() => parseArgs(["--n"])).toThrow(/needs a value/);
    expect(() => parseArgs(["--what", "1"])).toThrow(/unknown option/);
  });
});
