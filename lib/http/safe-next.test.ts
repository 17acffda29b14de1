import { describe, expect, it } from "vitest";
import { safeNextPath } from "@/lib/http/safe-next";

describe("safeNextPath", () => {
  it("keeps same-origin paths", () => {
    expect(safeNextPath("/research/requests?x=1#y")).toBe("/research/requests?x=1#y");
    expect(safeNextPath("/hospital")).toBe("/hospital");
  });
  it.each([
    "/\\evil.test/x",
    "//evil.test/x",
    "/\t/evil.test",
    "/\n/evil.test",
    "https://evil.test",
    "javascript:alert(1)",
    "evil.test",
    "/\u0000x",
    "\\\\evil.test",
    "",
    "/%5Cevil.test",
  ])("refuses %j", (payload) => {
    const out = safeNextPath(payload);
    if (out !== null) expect(new URL(out, "http://localhost:3000").origin).toBe("http://localhost:3000");
    else expect(out).toBeNull();
  });
  it("refuses the reported payload outright", () => {
    expect(safeNextPath("/\\evil.test/x")).toBeNull();
    expect(safeNextPath(undefined)).toBeNull();
  });
});
