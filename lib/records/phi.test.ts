import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCsvDataset } from "./csv-import";
import { type Cell, type Dataset, inferCellKind, summarize } from "./dataset";
import { parseFhirBundle } from "./fhir-import";
import { birthYear, deidentify, deidentifyAll, findPhi, generalizeZip, RESTRICTED_ZIP3, SAFE_HARBOR_IDENTIFIERS, topCodeAge } from "./phi";
import { generatePatients, toCsv, toFhirBundle } from "./synthetic";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const WDBC = path.resolve(repoRoot, "../shared/datasets/wdbc.csv");

/** A dataset from columns of cells, kinds inferred as an import would. */
function table(cols: Record<string, Cell[]>): Dataset {
  const names = Object.keys(cols);
  const n = cols[names[0]].length;
  const rows = Array.from({ length: n }, (_, j) => Object.fromEntries(names.map((c) => [c, cols[c][j]])));
  return { source: "csv", columns: names.map((c) => summarize(c, inferCellKind(c, cols[c]), cols[c])), rows };
}

const patients = generatePatients({ n: 1000, seed: 11 });
const csv = parseCsvDataset(toCsv(patients)).dataset!;
const fhir = parseFhirBundle(JSON.stringify(toFhirBundle(patients.slice(0, 200)))).dataset!;

describe("findPhi", () => {
  it("knows the 18 Safe Harbor identifier types", () => {
    expect(SAFE_HARBOR_IDENTIFIERS).toHaveLength(18);
    expect(RESTRICTED_ZIP3.size).toBe(17);
  });

  it("finds names, dates, ZIP codes, phones, e-mails, SSNs and MRNs in generated data (CSV and FHIR)", () => {
    for (const ds of [csv, fhir]) {
      const byColumn = Object.fromEntries(findPhi(ds, { referenceYear: 2025 }).map((f) => [f.column, f]));
      expect(byColumn.name).toMatchObject({ identifier: "name", suggested: "drop" });
      expect(byColumn.birthDate).toMatchObject({ identifier: "date", suggested: "generalize" });
      expect(byColumn.postalCode).toMatchObject({ identifier: "geographic", suggested: "generalize" });
      expect(byColumn.address).toMatchObject({ identifier: "geographic", suggested: "drop" });
      expect(byColumn.city).toMatchObject({ identifier: "geographic", suggested: "drop" });
      expect(byColumn.phone).toMatchObject({ identifier: "phone", suggested: "drop" });
      expect(byColumn.email).toMatchObject({ identifier: "email", suggested: "drop" });
      expect(byColumn.ssn).toMatchObject({ identifier: "ssn", suggested: "drop" });
      expect(byColumn.mrn).toMatchObject({ identifier: "medical-record-number", suggested: "drop" });
      expect(byColumn.id).toMatchObject({ identifier: "other-unique-identifier", suggested: "drop" });
      for (const clean of ["gender", "state", "country", "phenotype", "8867-4 Heart rate", "39156-5 BMI"]) expect(byColumn[clean]).toBeUndefined();
    }
    // 1000 patients include some over 89.
    expect(findPhi(csv, { referenceYear: 2025 }).find((f) => f.column === "30525-0 Age")).toMatchObject({ identifier: "date", suggested: "generalize" });
  });

  it("finds identifiers by their values when the column names say nothing", () => {
    const n = 30;
    const ds = table({
      col1: Array.from({ length: n }, (_, i) => `${900 + i}-12-${String(1000 + i)}`),
      col2: Array.from({ length: n }, (_, i) => `person${i}@mail.example.org`),
      col3: Array.from({ length: n }, (_, i) => `(617) 555-01${String(i).padStart(2, "0")}`),
      col4: Array.from({ length: n }, (_, i) => `MRN-${1000000 + i}`),
      col5: Array.from({ length: n }, (_, i) => `0${2100 + i}`),
      col6: Array.from({ length: n }, (_, i) => `19${50 + (i % 40)}-03-1${i % 10}`),
      col7: Array.from(
        { length: n },
        (_, i) => `${["Anna", "Omar", "Mei", "Luis", "Grace", "Raj"][i % 6]} ${["Novak", "Haddad", "Chen", "Flores", "Okafor"][i % 5]}`,
      ),
      col8: Array.from({ length: n }, (_, i) => `10.0.${i}.7`),
      col9: Array.from({ length: n }, (_, i) => `${i + 1} Willow Ln`),
      col10: Array.from({ length: n }, (_, i) => `https://portal.example.com/u/${i}`),
      notes: Array.from({ length: n }, (_, i) =>
        i === 3
          ? "Call back on 617-555-0199 about the results, please, before Friday afternoon"
          : `Follow-up visit number ${i}, all stable, no change in medication, review again next quarter`,
      ),
      score: Array.from({ length: n }, (_, i) => i * 1.5),
    });
    const found = Object.fromEntries(findPhi(ds).map((f) => [f.column, f.identifier]));
    expect(found).toEqual({
      col1: "ssn",
      col2: "email",
      col3: "phone",
      col4: "medical-record-number",
      col5: "geographic",
      col6: "date",
      col7: "name",
      col8: "ip-address",
      col9: "geographic",
      col10: "url",
      notes: "phone",
    });
    // Evidence never quotes a value.
    for (const f of findPhi(ds)) for (const r of ds.rows) expect(f.evidence).not.toContain(String(r[f.column]));
  });

  it("finds nothing in WDBC", () => {
    const wdbc = parseCsvDataset(readFileSync(WDBC, "utf8")).dataset!;
    expect(findPhi(wdbc)).toEqual([]);
  });

  it("flags ages only when some are over 89, and date-named columns only when they hold dates", () => {
    expect(findPhi(table({ age: [34, 89, 60] }))).toEqual([]);
    expect(findPhi(table({ age: [34, 90, 60] }))).toEqual([expect.objectContaining({ identifier: "date", suggested: "generalize" })]);
    expect(findPhi(table({ admission_date: [2019, 2020, 2021] }))).toEqual([]);
    expect(findPhi(table({ admission_date: ["2019-02-03", "2020-01-01", null] }))).toEqual([expect.objectContaining({ identifier: "date" })]);
    expect(findPhi(table({ birth_year: [1930, 1990] }), { referenceYear: 2025 })).toEqual([expect.objectContaining({ identifier: "date" })]);
    expect(findPhi(table({ birth_year: [1960, 1990] }), { referenceYear: 2025 })).toEqual([]);
  });
});

describe("generalisation", () => {
  it("ZIP codes -> 3 digits, 000 for every restricted prefix, null when not a US ZIP", () => {
    expect(generalizeZip("02139")).toBe("021");
    expect(generalizeZip("02139-4307")).toBe("021");
    expect(generalizeZip(2139)).toBe("021");
    for (const p of RESTRICTED_ZIP3) expect(generalizeZip(`${p}42`)).toBe("000");
    expect(generalizeZip("K1A 0B1")).toBeNull();
    expect(generalizeZip(null)).toBeNull();
  });

  it("ages over 89 -> 90+; birth years aggregated at 90", () => {
    expect([89, 90, 104, 30.5].map((a) => topCodeAge(a))).toEqual([89, "90+", "90+", 30.5]);
    expect(topCodeAge(95, "number")).toBe(90);
    expect(birthYear("1931-05-06", 2025)).toBe(1935);
    expect(birthYear("1980-05-06", 2025)).toBe(1980);
    expect(birthYear(1900, 2025)).toBe(1935);
  });
});

describe("deidentify", () => {
  const ds = table({
    name: ["Ann Lee", "Bo Chen", "Cy Novak"],
    dob: ["1930-02-03", "1975-12-31", "03/04/2001"],
    zip: ["03601", "02139", "89301-1234"],
    age: [95, 50, 24],
    visit: ["2024-05-06T10:00:00Z", "2024-06-07", null],
    glucose: [100, 120, 90],
  });

  it("drops, generalises and keeps as decided", () => {
    const out = deidentify(ds, { name: "drop", dob: "generalize", zip: "generalize", age: "generalize", visit: "generalize" }, { referenceYear: 2025 });
    expect(out.columns.map((c) => c.name)).toEqual(["dob", "zip", "age", "visit", "glucose"]);
    expect(out.rows).toEqual([
      { dob: 1935, zip: "000", age: "90+", visit: 2024, glucose: 100 },
      { dob: 1975, zip: "021", age: 50, visit: 2024, glucose: 120 },
      { dob: 2001, zip: "000", age: 24, visit: null, glucose: 90 },
    ]);
    expect(out.columns.map((c) => [c.kind, c.generalized])).toEqual([
      ["numeric", "birth-year"],
      ["categorical", "zip3"],
      ["categorical", "age"],
      ["numeric", "year"],
      ["numeric", undefined],
    ]);
    expect(ds.rows[0].name).toBe("Ann Lee"); // the input is not modified
    expect(deidentify(ds, { age: "generalize" }, { ageTopCode: "number" }).rows.map((r) => r.age)).toEqual([90, 50, 24]);
  });

  it("drops a column that cannot be generalised", () => {
    expect(deidentify(ds, { name: "generalize" }).columns.map((c) => c.name)).not.toContain("name");
  });

  it("deidentifyAll leaves nothing for findPhi, keeps the clinical columns and is idempotent", () => {
    const out = deidentifyAll(csv, { referenceYear: 2025 });
    expect(findPhi(out, { referenceYear: 2025 })).toEqual([]);
    const names = out.columns.map((c) => c.name);
    for (const gone of ["id", "mrn", "ssn", "name", "address", "city", "phone", "email"]) expect(names).not.toContain(gone);
    expect(names).toEqual(expect.arrayContaining(["birthDate", "postalCode", "gender", "state", "8867-4 Heart rate", "phenotype"]));
    const bad = out.rows.filter((r) => {
      const age = r["30525-0 Age"];
      const zipOk = /^\d{3}$/.test(String(r.postalCode)) && !RESTRICTED_ZIP3.has(String(r.postalCode));
      return !zipOk || !((r.birthDate as number) >= 1935) || !(age === "90+" || (typeof age === "number" && age <= 89));
    });
    expect(bad).toEqual([]);
    expect(out.rows.some((r) => r.postalCode === "000")).toBe(true);
    expect(out.rows.some((r) => r["30525-0 Age"] === "90+")).toBe(true);
    expect(deidentifyAll(out, { referenceYear: 2025 })).toEqual(out);
  });
});
