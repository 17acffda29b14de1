// The blind protocol's masked refresh (issue #14; docs/design/blind-clustering.md, step 3),
// measured before it is built: the CSP adds a uniform mask r to each slot, the key holder decrypts
// value + r and re-encrypts it at the top level, the CSP subtracts r. CKKS encodes and decodes
// slots through a double-precision FFT, so a value carried under a mask 2^s times wider than it
// keeps only about 53 - s - log2(bound) bits: the design's 2^40-wide masks leave nothing.
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../prng";
import { loadSealNode } from "../seal-node";
import { blindCkks } from "./context";

describe("masked refresh in the slot domain (N = 16384)", () => {
  it("keeps the value to ~2^(b + s - 53): usable at s = 30, lost at the design's s = 40", async () => {
    const { encoder, evaluator, encryptor, decryptor, dispose } = blindCkks(await loadSealNode());
    const slots = encoder.slotCount;
    const rng = mulberry32(11);
    const b = 7; // weights and typicalities are below 2^7 in the protocol's units
    const value = Float64Array.from({ length: slots }, () => (2 * rng() - 1) * 2 ** b);
    const scale = 2 ** 40;
    const errors: Record<number, number> = {};
    for (const s of [20, 30, 40]) {
      const mask = Float64Array.from({ length: slots }, () => (2 * rng() - 1) * 2 ** (b + s));
      // CSP: Enc(value) + mask
      const ct = encryptor.encrypt(encoder.encode(value, scale)!)!;
      evaluator.addPlain(ct, encoder.encode(mask, scale)!, ct);
      // key holder: decrypt value + mask, encrypt it afresh
      const seen = encoder.decode(decryptor.decrypt(ct)!) as Float64Array;
      const back = encryptor.encrypt(encoder.encode(seen, scale)!)!;
      // CSP: subtract the mask; what the refreshed ciphertext holds
      evaluator.subPlain(back, encoder.encode(mask, scale)!, back);
      const out = encoder.decode(decryptor.decrypt(back)!) as Float64Array;
      let worst = 0;
      for (let i = 0; i < slots; i++) worst = Math.max(worst, Math.abs(out[i] - value[i]));
      errors[s] = worst;
      ct.delete();
      back.delete();
    }
    console.log(
      `masked refresh, |value| < 2^${b}: max error ${Object.entries(errors)
        .map(([s, e]) => `s = ${s}: ${e.toExponential(2)}`)
        .join(", ")}`,
    );
    expect(errors[20]).toBeLessThan(1e-6);
    expect(errors[30]).toBeLessThan(1e-3);
    expect(errors[40]).toBeGreaterThan(1e-2); // the design's width: the value is gone below ~2^-6
    dispose();
  });
});
