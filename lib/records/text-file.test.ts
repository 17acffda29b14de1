import { describe, expect, it } from "vitest";
import { notTextMessage, notTextReason } from "./text-file";

const enc = new TextEncoder();

describe("notTextReason", () => {
  it("accepts UTF-8 CSV and JSON, with or without a byte-order mark and non-ASCII letters", () => {
    expect(notTextReason(enc.encode("id,age\n1,42\n"))).toBeNull();
    expect(notTextReason(enc.encode('\uFEFF{"resourceType":"Bundle"}'))).toBeNull();
    expect(notTextReason(enc.encode("name,city\nZoë,Kraków\n"))).toBeNull();
    expect(notTextReason(new Uint8Array())).toBeNull();
  });

  it("names a PNG renamed .csv", () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    expect(notTextReason(png)).toBe("it looks like a PNG image");
    expect(notTextMessage(notTextReason(png)!)).toMatch(/^This is not a text file: it looks like a PNG image\./);
  });

  it("refuses NUL bytes (binary data, UTF-16 text) and invalid UTF-8", () => {
    expect(notTextReason(enc.encode("id,age\n1,4\u00002\n"))).toMatch(/NUL bytes \(the first at byte 11\)/);
    expect(notTextReason(new Uint8Array([0xff, 0xfe, 0x69, 0x00, 0x64, 0x00]))).toMatch(/NUL bytes/);
    expect(notTextReason(new Uint8Array([0x69, 0x64, 0x2c, 0xc3, 0x28, 0x0a]))).toMatch(/not valid UTF-8/);
    expect(notTextReason(new Uint8Array([0x61, 0xe9, 0x62]))).toMatch(/not valid UTF-8/); // Latin-1 "aéb"
  });
});
