import { describe, expect, it } from "vitest";
import { decodeFeatureBatch, encodeFeatureBatch, FEATURE_BATCH, FeatureBatchError, planFeatureRuns } from "./feature-batch";

const ct = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe("feature batches: one block's ciphertexts in one body", () => {
  it("round-trips a run, the ciphertexts as views into the body", () => {
    const cts = [ct(5, 1), ct(1, 2), ct(300, 3)];
    const body = encodeFeatureBatch({ first: 7, cts });
    expect(body.length).toBe(12 + 3 * 4 + 306);
    expect([...body.subarray(0, 4)]).toEqual([0x4d, 0x53, 0x46, 0x42]);
    const run = decodeFeatureBatch(body);
    expect(run.first).toBe(7);
    expect(run.cts).toEqual(cts);
    expect(run.cts[2].buffer).toBe(body.buffer);
  });

  it("decodes a body inside a larger buffer (an offset view)", () => {
    const body = encodeFeatureBatch({ first: 0, cts: [ct(3, 9)] });
    const padded = new Uint8Array(body.length + 10);
    padded.set(body, 5);
    expect(decodeFeatureBatch(padded.subarray(5, 5 + body.length)).cts).toEqual([ct(3, 9)]);
  });

  it("refuses malformed and truncated bodies, saying what is wrong", () => {
    const body = encodeFeatureBatch({ first: 0, cts: [ct(10, 1), ct(10, 2)] });
    const refuse = (b: Uint8Array, why: RegExp) => expect(() => decodeFeatureBatch(b)).toThrow(why);
    refuse(new Uint8Array(0), /not a feature batch/);
    refuse(body.subarray(0, 11), /not a feature batch/);
    refuse(Uint8Array.from([0x4d, 0x53, 0x57, 0x31, ...body.subarray(4)]), /not a feature batch/);
    // every cut inside the ciphertexts is found
    for (let n = 12; n < body.length; n++) refuse(body.subarray(0, n), /cut short/);
    refuse(Uint8Array.from([...body, 0]), /1 bytes after the last ciphertext/);
    const count = (c: number) => {
      const b = body.slice();
      new DataView(b.buffer).setUint32(8, c);
      return b;
    };
    refuse(count(0), /1 to 21 ciphertexts, not 0/);
    refuse(count(FEATURE_BATCH.maxRun + 1), /not 22/);
    refuse(count(3), /cut short before ciphertext 3/);
    const empty = body.slice();
    new DataView(empty.buffer).setUint32(12, 0);
    refuse(empty, /ciphertext 1 has 0 bytes/);
    const huge = body.slice();
    new DataView(huge.buffer).setUint32(12, FEATURE_BATCH.maxCiphertextBytes + 1);
    refuse(huge, /ciphertext 1 has 1048577 bytes/);
    refuse(new Uint8Array(FEATURE_BATCH.maxBodyBytes + 1), /larger than 8388608 bytes/);
    expect(() => decodeFeatureBatch(body.subarray(0, 20))).toThrow(FeatureBatchError);
  });

  it("refuses to encode an empty run", () => {
    expect(() => encodeFeatureBatch({ first: 0, cts: [] })).toThrow(FeatureBatchError);
    expect(() => encodeFeatureBatch({ first: -1, cts: [ct(1, 1)] })).toThrow(FeatureBatchError);
  });

  it("plans one run per block when it fits, else runs within the count and byte limits", () => {
    const fresh = 393_329; // a fresh public-key ciphertext at N = 8192
    expect(planFeatureRuns(Array(20).fill(fresh))).toEqual([{ first: 0, count: 20 }]);
    expect(planFeatureRuns(Array(21).fill(fresh))).toEqual([{ first: 0, count: 21 }]);
    expect(planFeatureRuns(Array(30).fill(fresh))).toEqual([
      { first: 0, count: 21 },
      { first: 21, count: 9 },
    ]);
    expect(planFeatureRuns(Array(43).fill(fresh)).map((r) => r.count)).toEqual([21, 21, 1]);
    // every planned run encodes within the body limit
    const sizes = Array(43).fill(fresh);
    for (const { first, count } of planFeatureRuns(sizes))
      expect(encodeFeatureBatch({ first, cts: sizes.slice(first, first + count).map((n) => new Uint8Array(n)) }).length).toBeLessThanOrEqual(
        FEATURE_BATCH.maxBodyBytes,
      );
    // bytes bind before the count does
    expect(planFeatureRuns([60, 60, 60], { maxRun: 21, maxBodyBytes: 12 + 2 * 64 })).toEqual([
      { first: 0, count: 2 },
      { first: 2, count: 1 },
    ]);
    expect(() => planFeatureRuns([200], { maxRun: 21, maxBodyBytes: 100 })).toThrow(/alone is larger/);
    expect(planFeatureRuns([])).toEqual([]);
  });
});
