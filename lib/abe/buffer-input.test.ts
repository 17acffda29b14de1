import { describe, expect, it } from "vitest";
import { decodeEnvelope, encodeEnvelope, encrypt, setupAttribute, setupGlobal } from "./index";

// Node's Buffer is a Uint8Array whose slice() is a view: decoding one must not change it.
describe("decoders leave Buffer inputs untouched", () => {
  it("decodeEnvelope on a Buffer", () => {
    const pp = setupGlobal();
    const { vk } = setupAttribute("HA1.researcher");
    const bytes = encodeEnvelope(encrypt(pp, [vk], "HA1.researcher", new TextEncoder().encode("m")));
    const buf = Buffer.from(bytes);
    decodeEnvelope(buf);
    expect(Buffer.compare(buf, Buffer.from(bytes))).toBe(0);
    expect(() => decodeEnvelope(buf)).not.toThrow();
  });
});
