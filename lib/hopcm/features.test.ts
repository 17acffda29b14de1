import { describe, expect, it } from "vitest";
import { FeatureError, MISSING_CATEGORY, applyFeatures, featureNames, fitFeatures, unscale, type RawRecord } from "./features";

const records: RawRecord[] = [
  { id: "a1", age: 30, sex: "F", bp: "120", dx: "yes" },
  { id: "a2", age: 40, sex: "M", bp: "", dx: "no" },
  { id: "a3", age: 50, sex: null, bp: "140", dx: "yes" },
  { id: "a4", age: 60, sex: "F", bp: "NA", dx: null },
];

describe("fitFeatures", () => {
  const fm = fitFeatures(records, { label: "dx", exclude: ["id"] });

  it("z-scores numeric columns with the population std and records mean/std", () => {
    const age = fm.schema.columns.find((c) => c.name === "age")!;
    expect(age).toMatchObject({ kind: "numeric", mean: 45, offset: 0 });
    expect(age.kind === "numeric" && age.std).toBeCloseTo(Math.sqrt(125), 12);
    const z = [0, 1, 2, 3].map((j) => fm.X[j * fm.p + 0]);
    expect(z.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(z[0]).toBeCloseTo(-15 / Math.sqrt(125), 12);
  });

  it("one-hot encodes categorical columns with a missing category", () => {
    const sex = fm.schema.columns.find((c) => c.name === "sex")!;
    expect(sex).toMatchObject({ kind: "categorical", categories: ["F", "M", MISSING_CATEGORY] });
    const o = sex.offset;
    expect(Array.from(fm.X.subarray(2 * fm.p + o, 2 * fm.p + o + 3))).toEqual([0, 0, 1]);
    expect(Array.from(fm.X.subarray(1 * fm.p + o, 1 * fm.p + o + 3))).toEqual([0, 1, 0]);
  });

  it("imputes numeric missing values with the mean (z = 0) and reports counts", () => {
    const bp = fm.schema.columns.find((c) => c.name === "bp")!;
    expect(bp).toMatchObject({ kind: "numeric", mean: 130 });
    expect(fm.X[1 * fm.p + bp.offset]).toBe(0);
    expect(fm.X[3 * fm.p + bp.offset]).toBe(0);
    expect(fm.report.missing).toEqual({ sex: 1, bp: 2, dx: 1 });
  });

  it("keeps the label out of the features and returns it", () => {
    expect(fm.labels).toEqual(["yes", "no", "yes", null]);
    expect(featureNames(fm.schema)).toEqual(["age", "sex=F", "sex=M", `sex=${MISSING_CATEGORY}`, "bp"]);
    expect(fm.schema).toMatchObject({ p: 5, shape: [5], label: "dx", excluded: ["id"] });
  });

  it("has a JSON schema that encodes a later chunk the same way", () => {
    const schema = JSON.parse(JSON.stringify(fm.schema));
    const again = applyFeatures(schema, records);
    expect(Array.from(again.X)).toEqual(Array.from(fm.X));
    const chunk = applyFeatures(schema, [{ age: 45, sex: "X", bp: 130, dx: "no" }]);
    expect(Array.from(chunk.X)).toEqual([0, 0, 0, 0, 0]);
    expect(chunk.report.unseen).toEqual({ sex: 1 });
  });

  it("maps centers back to original units", () => {
    expect(unscale(fm.schema, fm.X.subarray(0, fm.p))[0]).toBeCloseTo(30, 12);
  });

  it("reports constant columns and keeps them finite", () => {
    const f = fitFeatures([
      { a: 1, c: 5 },
      { a: 2, c: 5 },
    ]);
    expect(f.report.constant).toEqual(["c"]);
    expect(Array.from(f.X)).toEqual([-1, 0, 1, 0]);
  });

  it("fails clearly on unknown columns, non-numeric data in strict mode, bad shapes", () => {
    expect(() => fitFeatures(records, { label: "nope" })).toThrow(/unknown column "nope"/);
    expect(() => fitFeatures(records, { exclude: ["zz"] })).toThrow(FeatureError);
    expect(() => fitFeatures(records, { exclude: ["id"], strictNumeric: true })).toThrow(/column "sex" is not numeric: data row 1 has "F"/);
    expect(() => fitFeatures(records, { label: "dx", exclude: ["id"], shape: [2, 2] })).toThrow(/shape/);
    expect(() => fitFeatures([])).toThrow(/no records/);
    expect(() => applyFeatures(fm.schema, [{ age: "old" }])).toThrow(/numeric but data row 1 has "old"/);
  });

  it("accepts a 2-D shape", () => {
    const f = fitFeatures(
      [
        { a: 1, b: 2, c: 3, d: 4 },
        { a: 2, b: 1, c: 0, d: 1 },
      ],
      { shape: [2, 2] },
    );
    expect(f.schema.shape).toEqual([2, 2]);
  });
});
