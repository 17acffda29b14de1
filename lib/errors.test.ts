import { describe, expect, it, vi } from "vitest";
import { AppError, errorSummary, toActionError } from "./errors";

describe("unexpected errors in the server log", () => {
  it("logs the kind, a plain code and the throwing frame, never the message", () => {
    const error = Object.assign(new Error("duplicate key: patient Jane Roe, born 1970"), { code: "23505" });
    error.stack = "Error: duplicate key: patient Jane Roe, born 1970\n    at storeRecords (/srv/medshare/.next/server/chunks/upload.js:12:34)\n";
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(toActionError(error)).toEqual({ code: "INTERNAL", message: expect.stringMatching(/Nothing was changed/) });
    expect(log).toHaveBeenCalledWith("[medshare] unexpected error: Error code 23505 at storeRecords (/srv/medshare/.next/server/chunks/upload.js:12:34)");
    log.mockRestore();
  });

  it("drops a code or a frame that is not plainly one", () => {
    const error = Object.assign(new TypeError("x"), { code: "Jane Roe 1970" });
    error.stack = "TypeError: x\n    at eval (data: Jane Roe)\n";
    expect(errorSummary(error)).toBe("TypeError");
    expect(errorSummary("a string")).toBe("string");
  });

  it("passes an AppError's own words through and logs nothing", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(toActionError(new AppError("NOT_FOUND", "No such upload."))).toEqual({ code: "NOT_FOUND", message: "No such upload.", fieldErrors: undefined });
    expect(log).not.toHaveBeenCalled();
    log.mockRestore();
  });
});
