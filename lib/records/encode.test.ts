import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCsvDataset } from "./csv-import";
import type { Row } from "./dataset";
import { numericFeatureColumns, recordBytes, recordFromBytes, recordId, recordJson } from "./encode";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("recordBytes / recordFromBytes", () => {
  it("writes canonical JSON in column order, missing as null, UTF-8", () => {
    const row: Row = { b: 2.5, a: "Zoë 😀", c: null };
    expect(recordJson(row, ["a", "b", "c", "d"])).toBe('{"a":"Zoë 😀","b":2.5,"c":null,"d":null}');
    const bytes = recordBytes(row, [{ name: "a", kind: "text", missing: 0, distinct: 1 }, "b"]);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(bytes)).toBe('{"a":"Zoë 😀","b":2.5}');
    expect(bytes.length).toBe(25); // ë is 2 bytes, the emoji 4
    expect(recordFromBytes(bytes)).toEqual({ a: "Zoë 😀", b: 2.5 });
  });

  it("round-trips any row, and equal rows give equal bytes whatever their key order (property)", () => {
    const cell = fc.oneof(fc.constant(null), fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 6 }),
        fc.array(cell, { minLength: 6, maxLength: 6 }),
        (columns, cells) => {
          const row: Row = Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
          const reversed: Row = Object.fromEntries([...columns].reverse().map((c) => [c, row[c]]));
          const bytes = recordBytes(row, columns);
          expect(recordBytes(reversed, columns)).toEqual(bytes);
          const back = recordFromBytes(bytes);
          for (const c of columns) expect(back[c]).toEqual(Object.is(row[c], -0) ? 0 : row[c]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects what is not a record", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(() => recordFromBytes(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(SyntaxError);
    expect(() => recordFromBytes(enc("[1]"))).toThrow(/expected a JSON object/);
    expect(() => recordFromBytes(enc('{"a":{"b":1}}'))).toThrow(/holds a object/);
    expect(() => recordFromBytes(enc('{"a":true}'))).toThrow(/holds a boolean/);
    expect(() => recordBytes({ a: Infinity }, ["a"])).toThrow(RangeError);
  });
});

describe("recordId", () => {
  it("is <batch>:<index> and validates both", () => {
    expect(recordId(0, "b-1")).toBe("b-1:0");
    expect(recordId(41, "batch_7")).toBe("batch_7:41");
    expect(() => recordId(-1, "b")).toThrow(RangeError);
    expect(() => recordId(1.5, "b")).toThrow(RangeError);
    expect(() => recordId(1, "")).toThrow(RangeError);
    expect(() => recordId(1, "a:b")).toThrow(RangeError);
  });
});

describe("numericFeatureColumns", () => {
  it("returns WDBC's 30 features, without the label", () => {
    const wdbc = parseCsvDataset(readFileSync(path.resolve(repoRoot, "../shared/datasets/wdbc.csv"), "utf8")).dataset!;
    const cols = numericFeatureColumns(wdbc, ["diagnosis"]);
    expect(cols).toHaveLength(30);
    expect(cols).not.toContain("diagnosis");
    expect(numericFeatureColumns(wdbc, ["mean_radius"])).toHaveLength(29);
  });
});
