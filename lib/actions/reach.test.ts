import { describe, expect, it } from "vitest";
import { reach, UNREACHABLE } from "./reach";

describe("reach: a server action as a form calls it", () => {
  it("passes the action's own result through, success or refusal", async () => {
    expect(await reach(async (x: number) => ({ ok: true as const, data: x * 2 }))(21)).toEqual({ ok: true, data: 42 });
    const refused = { ok: false as const, error: { code: "VALIDATION" as const, message: "No." } };
    expect(await reach(async () => refused)(undefined)).toEqual(refused);
  });

  it("turns an answer that never came (what Next throws for a 503 or a dropped connection) into UNAVAILABLE", async () => {
    const dropped = reach<void, never>(async () => {
      throw new Error("An unexpected response was received from the server.");
    });
    expect(await dropped()).toEqual({ ok: false, error: { code: "UNAVAILABLE", message: UNREACHABLE } });
  });
});
