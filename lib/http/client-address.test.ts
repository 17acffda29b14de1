import { describe, expect, it } from "vitest";
import { clientAddress } from "./client-address";

describe("clientAddress", () => {
  it("reads only the gateway's header", () => {
    expect(clientAddress(new Headers({ "x-medshare-client-address": "203.0.113.7" }))).toBe("203.0.113.7");
    expect(clientAddress({ "X-MedShare-Client-Address": "2001:db8::1" })).toBe("2001:db8::1");
    expect(clientAddress({ "x-medshare-client-address": ["198.51.100.1", "x"] })).toBe("198.51.100.1");
  });
  it("ignores X-Forwarded-For and X-Real-IP, whatever they say", () => {
    expect(clientAddress(new Headers({ "x-forwarded-for": "1.2.3.4", "x-real-ip": "5.6.7.8" }))).toBe("unknown");
    expect(clientAddress({ "x-forwarded-for": "1.2.3.4" })).toBe("unknown");
  });
  it("refuses values that are not an address", () => {
    expect(clientAddress({ "x-medshare-client-address": "a b" })).toBe("unknown");
    expect(clientAddress({ "x-medshare-client-address": "x".repeat(100) })).toBe("unknown");
  });
});
