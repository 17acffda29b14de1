import { describe, expect, it } from "vitest";
import type { Issue } from "./dataset";
import { parseFhirBundle } from "./fhir-import";
import { generatePatients, toFhirBundle } from "./synthetic";

const errors = (issues: Issue[]) => issues.filter((i) => i.severity === "error");

type R = Record<string, unknown>;
const patient = (id: string, extra: R = {}): R => ({ resourceType: "Patient", id, gender: "female", birthDate: "1950-02-03", ...extra });
const hr = (subject: string, value: unknown, when?: string, extra: R = {}): R => ({
  resourceType: "Observation",
  status: "final",
  code: { coding: [{ system: "http://loinc.org", code: "8867-4", display: "Heart rate" }] },
  subject: { reference: subject },
  ...(when ? { effectiveDateTime: when } : {}),
  valueQuantity: { value, unit: "/min", system: "http://unitsofmeasure.org", code: "/min" },
  ...extra,
});
const bundle = (...resources: Array<R | null>): string =>
  JSON.stringify({ resourceType: "Bundle", type: "collection", entry: resources.map((r) => (r === null ? { fullUrl: "urn:uuid:x" } : { resource: r })) });

describe("parseFhirBundle: valid bundles", () => {
  it("parses a generated bundle: one row per patient, Patient columns then one column per code", () => {
    const patients = generatePatients({ n: 40, seed: 5 });
    const { dataset, issues } = parseFhirBundle(JSON.stringify(toFhirBundle(patients)));
    expect(issues).toEqual([]);
    expect(dataset!.source).toBe("fhir");
    expect(dataset!.rows).toHaveLength(40);
    const names = dataset!.columns.map((c) => c.name);
    expect(names.slice(0, 4)).toEqual(["id", "mrn", "ssn", "name"]);
    expect(names).toContain("8867-4 Heart rate");
    const heart = dataset!.columns.find((c) => c.name === "8867-4 Heart rate")!;
    expect(heart).toMatchObject({ kind: "numeric", unit: "/min", code: { system: "http://loinc.org", code: "8867-4", display: "Heart rate" } });
    expect(dataset!.columns.find((c) => c.name === "phenotype")!.kind).toBe("categorical");
  });

  it("resolves Patient/<id>, absolute and urn:uuid references; keeps the latest value by date, not by order", () => {
    const text = JSON.stringify({
      resourceType: "Bundle",
      type: "searchset",
      entry: [
        { fullUrl: "http://example.org/fhir/Patient/a", resource: patient("a") },
        { fullUrl: "urn:uuid:6f1c0d3e-1111-4222-8333-944455556666", resource: { resourceType: "Patient", gender: "male" } },
        { resource: hr("Patient/a", 80, "2024-05-01T10:00:00Z") },
        { resource: hr("Patient/a", 60, "2023-01-01") },
        { resource: hr("http://example.org/fhir/Patient/a/_history/2", 70, "2022-01-01") },
        { resource: hr("urn:uuid:6f1c0d3e-1111-4222-8333-944455556666", 101) },
        {
          resource: {
            resourceType: "Observation",
            status: "final",
            code: { coding: [{ system: "http://loinc.org", code: "72166-2" }], text: "Tobacco smoking status" },
            subject: { reference: "Patient/a" },
            valueCodeableConcept: { coding: [{ system: "http://snomed.info/sct", code: "8517006", display: "Former smoker" }] },
          },
        },
      ],
    });
    const { dataset, issues } = parseFhirBundle(text);
    expect(issues).toEqual([]);
    expect(dataset!.rows).toEqual([
      { id: "a", gender: "female", birthDate: "1950-02-03", "8867-4 Heart rate": 80, "72166-2 Tobacco smoking status": "Former smoker" },
      {
        id: "urn:uuid:6f1c0d3e-1111-4222-8333-944455556666",
        gender: "male",
        birthDate: null,
        "8867-4 Heart rate": 101,
        "72166-2 Tobacco smoking status": null,
      },
    ]);
  });

  it("reads blood-pressure panels by component, dataAbsentReason as missing, and skips what it cannot use with warnings", () => {
    const panel = {
      resourceType: "Observation",
      status: "final",
      code: { coding: [{ system: "http://loinc.org", code: "85354-9", display: "Blood pressure panel" }] },
      subject: { reference: "Patient/p" },
      component: [
        { code: { coding: [{ system: "http://loinc.org", code: "8480-6", display: "Systolic blood pressure" }] }, valueQuantity: { value: 120, unit: "mmHg" } },
        { code: { coding: [{ system: "http://loinc.org", code: "8462-4", display: "Diastolic blood pressure" }] }, valueQuantity: { value: 80, unit: "mmHg" } },
      ],
    };
    const text = bundle(
      patient("p"),
      panel,
      hr("Patient/p", undefined, undefined, { valueQuantity: undefined, dataAbsentReason: { text: "asked but declined" } }),
      hr("Patient/p", 77, undefined, { status: "entered-in-error" }),
      { resourceType: "Encounter", id: "e1" },
      { resourceType: "Encounter", id: "e2" },
      { resourceType: "Condition", id: "c1" },
    );
    const { dataset, issues } = parseFhirBundle(text);
    expect(errors(issues)).toEqual([]);
    expect(dataset!.rows).toEqual([
      {
        id: "p",
        gender: "female",
        birthDate: "1950-02-03",
        "8480-6 Systolic blood pressure": 120,
        "8462-4 Diastolic blood pressure": 80,
        "8867-4 Heart rate": null,
      },
    ]);
    expect(issues).toEqual([
      expect.objectContaining({
        severity: "warning",
        path: "entry[4].resource.resourceType",
        message: expect.stringMatching(/2 Encounter resources were skipped/),
      }),
      expect.objectContaining({
        severity: "warning",
        path: "entry[6].resource.resourceType",
        message: expect.stringMatching(/1 Condition resource was skipped/),
      }),
      expect.objectContaining({ severity: "warning", path: "entry[3].resource.status" }),
    ]);
  });
});

describe("parseFhirBundle: invalid bundles give path-level errors and no dataset", () => {
  it("not JSON, not an object, not a Bundle, no entries", () => {
    expect(parseFhirBundle("{ not json")).toEqual({
      dataset: null,
      issues: [expect.objectContaining({ severity: "error", message: expect.stringMatching(/not valid JSON/) })],
    });
    expect(parseFhirBundle("[1,2]").issues[0].message).toMatch(/not a FHIR resource/);
    expect(parseFhirBundle(JSON.stringify(patient("a")))).toEqual({
      dataset: null,
      issues: [expect.objectContaining({ path: "resourceType", message: expect.stringMatching(/a Patient resource; expected a Bundle/) })],
    });
    expect(parseFhirBundle('{"resourceType":"Bundle","entry":[]}').issues).toEqual([
      expect.objectContaining({ path: "entry", message: "The Bundle has no entries." }),
    ]);
  });

  it("entry without resource, dangling subject, missing value, non-numeric quantity, missing code, duplicate patient, mixed units", () => {
    const text = bundle(
      patient("a"),
      null,
      hr("Patient/zzz", 70),
      hr("Patient/a", undefined, undefined, { valueQuantity: undefined }),
      hr("Patient/a", "72"),
      { ...hr("Patient/a", 70), code: { coding: [] } },
      patient("a"),
      hr("Patient/a", 70, undefined, { valueQuantity: { value: 70, unit: "beats/s" } }),
      { ...hr("Patient/a", 70), subject: undefined },
    );
    const { dataset, issues } = parseFhirBundle(text);
    expect(dataset).toBeNull();
    expect(errors(issues).map((i) => i.path)).toEqual([
      "entry[1].resource",
      "entry[6].resource.id",
      "entry[2].resource.subject.reference",
      "entry[3].resource.value[x]",
      "entry[4].resource.valueQuantity.value",
      "entry[5].resource.code",
      "entry[7].resource.valueQuantity.unit",
      "entry[8].resource.subject.reference",
    ]);
    expect(issues.find((i) => i.path === "entry[2].resource.subject.reference")!.message).toMatch(/"Patient\/zzz", which is not a Patient in this Bundle/);
  });

  it("a Bundle without Patients or without Observations", () => {
    expect(errors(parseFhirBundle(bundle(hr("Patient/a", 70))).issues).map((i) => i.message)).toEqual([
      "The Bundle has no Patient resources.",
      expect.stringMatching(/not a Patient in this Bundle/),
    ]);
    expect(errors(parseFhirBundle(bundle(patient("a"))).issues)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/no Observation resources/) }),
    ]);
  });

  it("limits are reported alone", () => {
    const text = bundle(patient("a"), patient("b"), patient("c"), hr("Patient/zzz", 1));
    expect(parseFhirBundle(text, { limits: { maxRows: 2 } })).toEqual({
      dataset: null,
      issues: [expect.objectContaining({ message: expect.stringMatching(/more than 2 patients/) })],
    });
    expect(parseFhirBundle(text, { limits: { maxBytes: 10 } }).issues).toHaveLength(1);
    const ok = bundle(patient("a"), hr("Patient/a", 1));
    expect(parseFhirBundle(ok, { limits: { maxColumns: 3 } })).toEqual({
      dataset: null,
      issues: [expect.objectContaining({ message: expect.stringMatching(/4 columns.*limit is 3/) })],
    });
  });
});
