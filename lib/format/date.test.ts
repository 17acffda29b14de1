import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatDateTimeSeconds } from "./date";

describe("formatDateTime", () => {
  it("shows one format in UTC whatever the input", () => {
    const at = new Date(Date.UTC(2026, 11, 3, 14, 5, 9));
    expect(formatDateTime(at)).toBe("2026-12-03 14:05 UTC");
    expect(formatDateTime(at.toISOString())).toBe("2026-12-03 14:05 UTC");
    expect(formatDateTime(at.getTime())).toBe("2026-12-03 14:05 UTC");
    expect(formatDateTimeSeconds(at)).toBe("2026-12-03 14:05:09 UTC");
    expect(formatDate(at)).toBe("2026-12-03");
  });
  it("turns a missing or invalid value into a dash, never 'Invalid Date'", () => {
    for (const v of [null, undefined, "", "not a date"]) {
      expect(formatDateTime(v)).toBe("—");
      expect(formatDate(v)).toBe("—");
    }
  });
});
