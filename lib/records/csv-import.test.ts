import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tokenizeCsv, writeCsv } from "./csv";
import { parseCsvDataset } from "./csv-import";
import { recordBytes, recordFromBytes } from "./encode";
import { DEFAULT_LIMITS, type Issue, MAX_COLUMNS, MAX_LISTED_ISSUES } from "./dataset";
import { generatePatients, toCsv } from "./synthetic";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const WDBC = path.resolve(repoRoot, "../shared/datasets/wdbc.csv");

const errors = (issues: Issue[]) => issues.filter((i) => i.severity === "error");

describe("parseCsvDataset: WDBC", () => {
  it("parses 569 rows x 31 columns cleanly: 30 numeric features and the diagnosis label", () => {
    expect(existsSync(WDBC)).toBe(true);
    const { dataset, issues } = parseCsvDataset(readFileSync(WDBC, "utf8"));
    expect(issues).toEqual([]);
    expect(dataset).not.toBeNull();
    const ds = dataset!;
    expect(ds.source).toBe("csv");
    expect(ds.rows).toHaveLength(569);
    expect(ds.columns).toHaveLength(31);
    expect(ds.columns[0].name).toBe("mean_radius");
    expect(ds.columns.filter((c) => c.kind === "numeric")).toHaveLength(30);
    const diagnosis = ds.columns.find((c) => c.name === "diagnosis")!;
    expect(diagnosis).toMatchObject({ kind: "categorical", missing: 0, distinct: 2 });
    expect(ds.rows[0].mean_radius).toBe(17.99);
    expect(ds.rows[0].diagnosis).toBe("malignant");
    expect(ds.columns.every((c) => c.missing === 0)).toBe(true);
  });
});

describe("parseCsvDataset: well-formed edge cases", () => {
  it("handles a BOM, CRLF, quoted delimiters, quotes and line breaks, blank lines and missing markers", () => {
    const text = '\uFEFFid,note,value\r\n1,"a, b",1.5\r\n\r\n2,"say ""hi""\r\nthere",NA\r\n3,,?\r\n';
    const { dataset, issues } = parseCsvDataset(text);
    expect(issues).toEqual([]);
    expect(dataset!.rows).toEqual([
      { id: "1", note: "a, b", value: 1.5 },
      { id: "2", note: 'say "hi"\r\nthere', value: null },
      { id: "3", note: null, value: null },
    ]);
    expect(dataset!.columns.map((c) => [c.name, c.kind])).toEqual([
      ["id", "identifier"],
      ["note", "categorical"],
      ["value", "numeric"],
    ]);
    expect(dataset!.columns[2]).toMatchObject({ missing: 2, min: 1.5, max: 1.5 });
  });

  it("keeps ZIP codes and other digit codes as strings, with their leading zeros", () => {
    const { dataset } = parseCsvDataset("zip,phone_number,visits\n02139,6175550100,3\n94110,6175550101,4\n");
    expect(dataset!.rows[0]).toEqual({ zip: "02139", phone_number: "6175550100", visits: 3 });
    expect(dataset!.columns.map((c) => c.kind)).toEqual(["categorical", "categorical", "numeric"]);
  });

  it("infers dates and identifiers", () => {
    const rows = Array.from({ length: 25 }, (_, i) => `P${1000 + i},2024-0${1 + (i % 9)}-1${i % 10},${i % 3}`);
    const { dataset } = parseCsvDataset(["patient_id,visit_date,grade", ...rows].join("\n"));
    expect(dataset!.columns.map((c) => c.kind)).toEqual(["identifier", "date", "numeric"]);
  });

  it("skips an all-empty row with a warning", () => {
    const { dataset, issues } = parseCsvDataset("a,b\n1,2\n,\n3,4\n");
    expect(dataset!.rows).toHaveLength(2);
    expect(issues).toEqual([expect.objectContaining({ severity: "warning", row: 2, line: 3 })]);
  });

  it("parses 10,000 synthetic patients", () => {
    const text = toCsv(generatePatients({ n: 10_000, seed: 3 }));
    const { dataset, issues } = parseCsvDataset(text);
    expect(errors(issues)).toEqual([]);
    expect(dataset!.rows).toHaveLength(10_000);
  });
});

describe("parseCsvDataset: the delimiter is detected", () => {
  it("a semicolon file with decimal commas (a European spreadsheet's export) reads as the same table, and says so", () => {
    const comma = parseCsvDataset('patient_id,weight_kg,note\nP1,72.5,"a, b"\nP2,80,c\nP3,-0.5,d\n');
    const semi = parseCsvDataset("patient_id;weight_kg;note\nP1;72,5;a, b\nP2;80;c\nP3;-0,5;d\n");
    expect(semi.dataset!.rows).toEqual(comma.dataset!.rows);
    expect(semi.dataset!.columns.map((c) => c.kind)).toEqual(comma.dataset!.columns.map((c) => c.kind));
    expect(comma.issues).toEqual([]);
    expect(semi.issues).toEqual([
      expect.objectContaining({ severity: "warning", row: 0, message: expect.stringMatching(/separated by semicolons.*decimal commas \(1,5 read as 1\.5\)/) }),
    ]);
  });

  it("tabs and vertical bars; a comma in a text column of a semicolon file stays text", () => {
    expect(parseCsvDataset("a\tb\n1\t2\n3\t4\n").dataset!.rows).toEqual([
      { a: 1, b: 2 },
      { a: 3, b: 4 },
    ]);
    expect(parseCsvDataset("a|b\n1|x\n3|y\n").dataset!.rows).toEqual([
      { a: 1, b: "x" },
      { a: 3, b: "y" },
    ]);
    const mixed = parseCsvDataset("code;label\nA;1,5 and more\nB;2,5\nC;text\n");
    expect(mixed.dataset!.rows.map((r) => r.label)).toEqual(["1,5 and more", "2,5", "text"]);
    expect(mixed.issues[0].message).not.toMatch(/decimal commas/);
  });

  it("a file of one column, or a delimiter given by the caller, is read as before", () => {
    expect(parseCsvDataset("value\n1\n2\n").dataset!.rows).toEqual([{ value: 1 }, { value: 2 }]);
    const given = parseCsvDataset("a;b\n1;2\n", { delimiter: "," });
    expect(given.dataset!.columns.map((c) => c.name)).toEqual(["a;b"]);
  });
});

describe("parseCsvDataset: malformed input gives row-level errors and no dataset", () => {
  it("ragged rows: every one is reported with row, line and both counts", () => {
    const text = "a,b,c\n1,2,3\n4,5\n\n6,7,8,9\n10,11,12,\n";
    const { dataset, issues } = parseCsvDataset(text);
    expect(dataset).toBeNull();
    expect(errors(issues)).toEqual([
      expect.objectContaining({ row: 2, line: 3, message: expect.stringMatching(/Row 2 \(line 3\) has 2 fields; the header has 3/) }),
      expect.objectContaining({ row: 3, line: 5, message: expect.stringMatching(/has 4 fields/) }),
      expect.objectContaining({ row: 4, line: 6, message: expect.stringMatching(/trailing delimiter/) }),
    ]);
  });

  it("unterminated quote: the row and column where the quote opens", () => {
    const { dataset, issues } = parseCsvDataset('a,b\n1,2\n3,"open\n4,5\n');
    expect(dataset).toBeNull();
    expect(issues).toEqual([expect.objectContaining({ severity: "error", row: 2, line: 3, column: "b", message: expect.stringMatching(/never closed/) })]);
  });

  it("duplicate and empty header names", () => {
    const { dataset, issues } = parseCsvDataset("age,sex,age,\n1,m,2,x\n");
    expect(dataset).toBeNull();
    expect(errors(issues)).toEqual([
      expect.objectContaining({ row: 0, column: "age", message: expect.stringMatching(/appears twice.*columns 1 and 3/) }),
      expect.objectContaining({ row: 0, column: "#4", message: expect.stringMatching(/no name.*trailing delimiter/) }),
    ]);
  });

  it("empty file, whitespace only, header without rows", () => {
    for (const text of ["", "\uFEFF", "\n\n  \n"]) {
      const r = parseCsvDataset(text);
      expect(r.dataset).toBeNull();
      expect(r.issues).toEqual([expect.objectContaining({ severity: "error", row: 0, message: expect.stringMatching(/empty/) })]);
    }
    const r = parseCsvDataset("a,b\n");
    expect(r.dataset).toBeNull();
    expect(r.issues).toEqual([expect.objectContaining({ severity: "error", row: 0, message: expect.stringMatching(/no data rows/) })]);
  });

  it("a non-number in a numeric column is an error at its row and column (or a warning on request)", () => {
    const lines = ["id,glucose", ...Array.from({ length: 19 }, (_, i) => `x${i},${90 + i}`), "x19,12,5"];
    lines[7] = "x6,high";
    const text = lines.join("\n").replace("x19,12,5", 'x19,"12,5"');
    const strict = parseCsvDataset(text);
    expect(strict.dataset).toBeNull();
    expect(errors(strict.issues)).toEqual([
      expect.objectContaining({ row: 7, column: "glucose", message: expect.stringMatching(/"high" is not a number/) }),
      expect.objectContaining({ row: 20, column: "glucose", message: expect.stringMatching(/"12,5" is not a number/) }),
    ]);
    const lenient = parseCsvDataset(text, { invalidNumbers: "missing" });
    expect(errors(lenient.issues)).toEqual([]);
    expect(lenient.issues).toHaveLength(2);
    expect(lenient.dataset!.rows[6].glucose).toBeNull();
    expect(lenient.dataset!.columns[1]).toMatchObject({ kind: "numeric", missing: 2 });
  });

  it("text after a closing quote is a warning, not a silent change", () => {
    const { dataset, issues } = parseCsvDataset('a,b\n"x"y,1\n');
    expect(dataset!.rows[0].a).toBe("xy");
    expect(issues).toEqual([expect.objectContaining({ severity: "warning", row: 1, column: "a" })]);
  });

  it("text after a closing quote in the header: the column is named by position", () => {
    const { issues } = parseCsvDataset('"a"b,c\n1,2\n');
    expect(issues).toEqual([expect.objectContaining({ severity: "warning", row: 0, column: "#1" })]);
  });

  it("lists at most MAX_LISTED_ISSUES and summarises the rest", () => {
    const text = ["a,b", ...Array.from({ length: 150 }, () => "1")].join("\n");
    const { issues } = parseCsvDataset(text);
    expect(issues).toHaveLength(MAX_LISTED_ISSUES + 1);
    expect(issues[MAX_LISTED_ISSUES].message).toMatch(/50 more errors/);
  });
});

describe("parseCsvDataset: limits are reported alone", () => {
  it("too many columns", () => {
    const header = Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => `c${i}`).join(",");
    const { dataset, issues } = parseCsvDataset(`${header}\n${"1,".repeat(MAX_COLUMNS)}1\n2\n`);
    expect(dataset).toBeNull();
    expect(issues).toEqual([expect.objectContaining({ severity: "error", row: 0, message: expect.stringMatching(/501 columns; the limit is 500/) })]);
  });

  it("too many rows, a cell too long, a file too large", () => {
    const rows = parseCsvDataset("a\n1\n2\n3\n4\n", { limits: { maxRows: 3 } });
    expect(rows).toEqual({ dataset: null, issues: [expect.objectContaining({ message: expect.stringMatching(/more than 3 data rows/) })] });
    const cell = parseCsvDataset(`a,b\n1,${"x".repeat(30)}\n1,2,3\n`, { limits: { maxCellLength: 20 } });
    expect(cell).toEqual({ dataset: null, issues: [expect.objectContaining({ row: 1, column: "b", message: expect.stringMatching(/longer than 20/) })] });
    const size = parseCsvDataset("a,b\n1,2\n3,4,5\n", { limits: { maxBytes: 4 } });
    expect(size).toEqual({ dataset: null, issues: [expect.objectContaining({ message: expect.stringMatching(/limit/) })] });
    expect(DEFAULT_LIMITS).toEqual({ maxBytes: 50 * 1024 * 1024, maxRows: 100_000, maxColumns: 500, maxCellLength: 10_000 });
  });
});

describe("tokenizeCsv / writeCsv", () => {
  it("round-trips any table of strings (property)", () => {
    const field = fc.string({ unit: fc.constantFrom("a", "b", " ", ",", '"', "\r", "\n", "\r\n", "é", "😀", ";") });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.array(field, { minLength: 5, maxLength: 5 }), { maxLength: 6 }), (width, table) => {
        const columns = Array.from({ length: width }, (_, i) => `c${i}`);
        const rows = table.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
        const tok = tokenizeCsv(writeCsv(columns, rows), ",", DEFAULT_LIMITS);
        if (!tok.ok) return false;
        // A row whose only field is empty writes as a blank line, which readers skip.
        const expected = [columns, ...table.map((r) => r.slice(0, width))].filter((r) => !(r.length === 1 && r[0] === ""));
        expect(tok.records).toEqual(expected);
        expect(tok.warnings).toEqual([]);
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe("a column named __proto__", () => {
  it("keeps its values as an ordinary column (an assignment would have set the row's prototype and lost them)", () => {
    const { dataset, issues } = parseCsvDataset("__proto__,b\nx1,2\nx2,3\n");
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(dataset!.rows.map((r) => Object.getOwnPropertyDescriptor(r, "__proto__")?.value)).toEqual(["x1", "x2"]);
    expect(Object.getPrototypeOf(dataset!.rows[0])).toBe(Object.prototype);
    // and it survives the trip through the record encoding
    const back = recordFromBytes(recordBytes(dataset!.rows[0], dataset!.columns));
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")?.value).toBe("x1");
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });
});
