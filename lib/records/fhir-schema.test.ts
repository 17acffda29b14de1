import { describe, expect, it } from "vitest";
import { bundleSchema, observationSchema, patientSchema } from "./fhir-schema";

describe("fhir-schema", () => {
  it("never rejects a resource: wrong types the importer ignores are absent, strings trimmed, lists keep their objects", () => {
    const p = patientSchema.parse({ resourceType: "Patient", id: " p1 ", gender: 1, name: [3, { given: ["Ann", 7, " "], family: "Lee" }], telecom: "x" });
    expect(p).toMatchObject({ id: "p1", gender: undefined, name: [{ given: ["Ann"], family: "Lee" }], telecom: [], identifier: [] });
  });

  it("keeps what the importer reports as Invalid, with the JSON found", () => {
    const o = observationSchema.parse({ valueQuantity: { value: "7" }, valueInteger: 1.5, component: [1, { code: { text: "x" }, valueString: "a" }] });
    expect(o.valueQuantity).toMatchObject({ value: { invalid: "7" } });
    expect(o.valueInteger).toEqual({ invalid: 1.5 });
    expect(o.component).toEqual([{ invalid: 1 }, expect.objectContaining({ code: { coding: [], text: "x" }, valueString: "a" })]);
  });

  it("reads entries by kind", () => {
    const b = bundleSchema.parse({
      resourceType: "Bundle",
      entry: [1, {}, { resource: {} }, { resource: { resourceType: " Patient " } }, { resource: { resourceType: "Encounter" } }],
    });
    expect(b.entry.map((e) => ("invalid" in e ? "invalid" : e.resource.kind))).toEqual(["invalid", "none", "untyped", "patient", "other"]);
  });
});
