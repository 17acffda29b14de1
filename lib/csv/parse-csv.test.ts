import { describe, expect, it } from "vitest";
import { CsvError, csvRecords, parseCsv } from "./csv";

describe("parseCsv", () => {
  it("reads a header and rows", () => {
    const t = parseCsv("a,b,c\n1,2,3\n4,5,6\n");
    expect(t.header).toEqual(["a", "b", "c"]);
    expect(t.rows).toEqual([
      ["1", "2", "3"],
      ["4", "5", "6"],
    ]);
    expect(t.lines).toEqual([2, 3]);
  });

  it("handles quotes, escaped quotes, delimiters and line breaks inside quotes", () => {
    const t = parseCsv('name,note\r\n"Doe, Jane","said ""hi""\nthen left"\r\nBob,\r\n');
    expect(t.rows).toEqual([
      ["Doe, Jane", 'said "hi"\nthen left'],
      ["Bob", ""],
    ]);
    expect(t.lines).toEqual([2, 4]);
  });

  it("strips a BOM, skips blank lines, accepts a missing final newline", () => {
    const t = parseCsv("\uFEFFx,y\n\n1,2\n\n3,4");
    expect(t.header).toEqual(["x", "y"]);
    expect(t.rows).toEqual([
      ["1", "2"],
      ["3", "4"],
    ]);
  });

  it("keeps empty fields and quoted empty rows", () => {
    expect(parseCsv('a,b\n,\n"",""\n').rows).toEqual([
      ["", ""],
      ["", ""],
    ]);
  });

  it("reports malformed input with its line", () => {
    expect(() => parseCsv('a,b\n1,"2\n')).toThrow(CsvError);
    expect(() => parseCsv('a,b\n1,"2\n')).toThrow(/line 2: unterminated quoted field/);
    expect(() => parseCsv("a,b\n1,2\n3\n")).toThrow(/line 3: expected 2 fields/);
    expect(() => parseCsv("a,a\n1,2\n")).toThrow(/duplicate column name "a"/);
    expect(() => parseCsv("a,,c\n1,2,3\n")).toThrow(/header column 2 has no name/);
    expect(() => parseCsv('a\n"x"y\n')).toThrow(/after a closing quote/);
    expect(() => parseCsv("")).toThrow(/empty/);
  });

  it("turns rows into records", () => {
    expect(csvRecords(parseCsv("a,b\n1,x\n"))).toEqual([{ a: "1", b: "x" }]);
  });
});
