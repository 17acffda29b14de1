import { describe, expect, it } from "vitest";
import { columnMismatch, compatibleDefault, runTitle } from "./clustering";

const wdbc = Array.from({ length: 30 }, (_, i) => `f${i}`);

describe("start form: uploads with the same columns", () => {
  it("pre-checks the largest group of uploads with the same columns, the newest group on a tie", () => {
    const uploads = [
      { id: "new-markers", columns: ["x", "y"] },
      { id: "a", columns: ["age", "bmi"] },
      { id: "b", columns: ["age", "bmi"] },
      { id: "old-markers", columns: ["x", "y"] },
      { id: "c", columns: ["age", "bmi"] },
    ];
    expect(compatibleDefault(uploads)).toEqual(["a", "b", "c"]);
    expect(compatibleDefault(uploads.slice(0, 4))).toEqual(["new-markers", "old-markers"]);
    expect(compatibleDefault([])).toEqual([]);
  });

  it("names each mismatching upload and the columns the others lack", () => {
    expect(
      columnMismatch([
        { label: "A", columns: ["age", "bmi"] },
        { label: "B", columns: ["age", "bmi"] },
      ]),
    ).toBeNull();
    const message = columnMismatch([
      { label: "A", columns: ["age", "bmi", "glucose"] },
      { label: "B", columns: ["age", "bmi", "glucose"] },
      { label: "C", columns: ["marker_x", "age"] },
    ])!;
    expect(message).toContain("“A”, “B” (3 columns, of them not in the others: bmi, glucose)");
    expect(message).toContain("“C” (2 columns, of them not in the others: marker_x)");
    // the same columns in another order are another tensor layout: listed, and said so
    expect(
      columnMismatch([
        { label: "A", columns: ["a", "b"] },
        { label: "B", columns: ["b", "a"] },
      ]),
    ).toContain("(a, b, in another order)");
    // long lists are cut short
    expect(
      columnMismatch([
        { label: "W", columns: wdbc },
        { label: "S", columns: ["s"] },
      ]),
    ).toContain("f0, f1, f2, f3, f4, f5, f6, f7 and 22 more");
  });

  it("calls an unnamed run by its date", () => {
    expect(runTitle({ name: "  ", createdAt: new Date("2026-12-04T14:05:09Z") })).toBe("Run of 2026-12-04 14:05 UTC");
    expect(runTitle({ name: "Spring", createdAt: "2026-12-04T14:05:09Z" })).toBe("Spring");
  });
});
