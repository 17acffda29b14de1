// The encrypted protocol on small synthetic data: results, party boundaries, what is stored.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hopcm, runHopcmAsync } from "../hopcm";
import { HOPCM_DEFAULTS } from "../options";
import { mulberry32 } from "../prng";
import { distanceStep, pointDistanceStep, weightedSumStep } from "../steps";
import { makeBlobs } from "../synthetic";
import {
  createCkks,
  createCspEvaluator,
  createKeyHolder,
  cspDistances,
  cspEvalKeys,
  cspPrepare,
  cspSelectPoint,
  cspWeightedSums,
  disposeCspEvaluator,
  disposeDataset,
  dispose,
  encryptedBackend,
  encryptColumnStats,
  encryptFeatureBlocks,
  cspScaleFeatures,
  loadKeyHolder,
  setupEncryptedHopcm,
  type Ckks,
  type CspDataset,
  type CspEvaluator,
  type EncSums,
  type EncryptedFeatures,
  type KeyHolder,
} from ".";
import { loadSealNode } from "./seal-node";

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

const blobs = makeBlobs(300, 4, 3, { seed: 5 });
const { X, n, p } = blobs;

let ckks: Ckks;
let keyHolder: KeyHolder;
let csp: CspEvaluator;
let features: EncryptedFeatures;
let data: CspDataset;

// Key generation, encryption and the CSP's preparation take ~2 s of CPU; the unit project's
// default hook timeout (10 s) is too short on a busy machine.
beforeAll(async () => {
  ckks = createCkks(await loadSealNode());
  keyHolder = createKeyHolder(ckks);
  features = encryptFeatureBlocks(ckks, keyHolder.publicKeys.publicKey, X, n, p);
  csp = createCspEvaluator(ckks, cspEvalKeys(keyHolder.publicKeys));
  data = cspPrepare(csp, features);
}, 120_000);

afterAll(() => {
  disposeDataset(data);
  disposeCspEvaluator(csp);
  keyHolder.dispose();
});

describe("encrypted HoPCM = plaintext reference", () => {
  it("same labels, iterations and centers (within 1e-6) through serialised messages; timings split by party", async () => {
    const reference = hopcm(X, n, p, { k: 3 });
    const backend = encryptedBackend({ ckks, keyHolder, csp, data }, { wire: "bytes" });
    const result = await runHopcmAsync(backend, { k: 3 });
    expect(Array.from(result.labels)).toEqual(Array.from(reference.labels));
    expect(result.iterations).toBe(reference.iterations);
    expect(maxAbsDiff(result.centers, reference.centers)).toBeLessThan(1e-6);
    const { times } = backend;
    // k-means++: k point distances for each of the FCM initialisation's draws (initRestarts)
    expect(times.count).toEqual({ distances: result.iterations, weightedSums: result.iterations, pointDistances: 3 * HOPCM_DEFAULTS.initRestarts });
    for (const party of [times.csp, times.keyHolder]) for (const ms of Object.values(party)) expect(ms).toBeGreaterThan(0);
    expect(times.wire).toBeGreaterThan(0);
  });

  it("across two blocks (n > slots)", async () => {
    const big = makeBlobs(ckks.slots + 104, 2, 2, { seed: 1 });
    const reference = hopcm(big.X, big.n, big.p, { k: 2 });
    const stored = encryptFeatureBlocks(ckks, keyHolder.publicKeys.publicKey, big.X, big.n, big.p);
    expect(stored.blocks).toHaveLength(2);
    const bigData = cspPrepare(csp, stored);
    try {
      const result = await runHopcmAsync(encryptedBackend({ ckks, keyHolder, csp, data: bigData }), { k: 2 });
      expect(Array.from(result.labels)).toEqual(Array.from(reference.labels));
      expect(maxAbsDiff(result.centers, reference.centers)).toBeLessThan(1e-6);
    } finally {
      disposeDataset(bigData);
    }
  });

  it("setupEncryptedHopcm wires all parties in one process", async () => {
    const small = makeBlobs(200, 2, 2, { seed: 1 });
    const run = setupEncryptedHopcm(ckks.seal, small.X, small.n, small.p);
    try {
      const result = await runHopcmAsync(run.backend, { k: 2 });
      expect(Array.from(result.labels)).toEqual(Array.from(hopcm(small.X, small.n, small.p, { k: 2 }).labels));
      for (const ms of Object.values(run.setup)) expect(ms).toBeGreaterThan(0);
    } finally {
      run.dispose();
    }
  });

  it("each step matches its plaintext counterpart", () => {
    const rng = mulberry32(2);
    const k = 2;
    const centers = Float64Array.from({ length: k * p }, () => rng() * 20 - 10);
    const weights = Float64Array.from({ length: k * n }, () => rng() * 5);

    const d = cspDistances(csp, data, keyHolder.encryptCenters(centers, k, p));
    expect(maxAbsDiff(keyHolder.decryptDistances(d, n), distanceStep(X, n, p, centers, k))).toBeLessThan(1e-6);

    const { message, totals } = keyHolder.encryptWeights(weights, k, n, p);
    const sums = keyHolder.decryptSums(cspWeightedSums(csp, data, message), totals);
    const want = weightedSumStep(X, n, p, weights, k);
    // relative to the totals: the error on the centers the key holder derives
    for (let i = 0; i < k; i++) for (let l = 0; l < p; l++) expect(Math.abs(sums[i * p + l] - want[i * p + l]) / totals[i]).toBeLessThan(1e-8);

    const center = cspSelectPoint(csp, data, keyHolder.encryptSelector(17, n));
    expect(maxAbsDiff(keyHolder.decryptDistances(cspDistances(csp, data, center), n), pointDistanceStep(X, n, p, 17))).toBeLessThan(1e-4);
  });
});

describe("parameters", () => {
  it("the fast constant plaintext is byte-identical to CKKSEncoder.encode", () => {
    for (const v of [0, 1, -1.2345678, 0.1, 89.99, -42.000001]) {
      const fast = ckks.constantMid(v);
      const slow = ckks.encodeAt(new Float64Array(ckks.slots).fill(v), ckks.featureScale, 2);
      const none = ckks.seal.ComprModeType.none;
      const [a, b] = [fast.saveArray(none), slow.saveArray(none)];
      expect(a.length === b.length && a.every((byte, i) => byte === b[i]), `constant ${v}`).toBe(true);
      fast.delete();
      slow.delete();
    }
    expect(() => ckks.constantMid(1e6)).toThrow(RangeError);
  });

  it("SEAL accepts the modulus chain at 128-bit security, with exact scales", () => {
    expect(ckks.slots).toBe(4096);
    expect(ckks.context.keyContextData.totalCoeffModulusBitCount).toBe(218);
    expect(ckks.featureScale).toBe(2 ** 45);
    expect(Math.log2(ckks.distanceScale)).toBeCloseTo(40, 3);
    expect(Number.isSafeInteger(ckks.q1) && Number.isSafeInteger(ckks.q2)).toBe(true);
  });
});

describe("party boundaries", () => {
  it("the CSP is built from evaluation keys only and refuses anything carrying a secret key", () => {
    const evalKeys = cspEvalKeys(keyHolder.publicKeys);
    expect(Object.keys(evalKeys).sort()).toEqual(["galoisKeys", "paramsId", "relinKeys", "rotationSteps"]);
    // @ts-expect-error: CspEvalKeys declares secretKey?: never
    expect(() => createCspEvaluator(ckks, { ...evalKeys, secretKey: keyHolder.exportSecretKey() })).toThrow(/secretKey/);
    // @ts-expect-error: a key holder is not a set of evaluation keys
    expect(() => createCspEvaluator(ckks, keyHolder)).toThrow(TypeError);
  });

  it("nothing reachable from the CSP's evaluator can decrypt", () => {
    const seen = new Set<unknown>();
    const canDecrypt: string[] = [];
    const walk = (value: unknown, path: string, depth: number) => {
      if (value === null || typeof value !== "object" || seen.has(value) || depth > 3) return;
      seen.add(value);
      for (const key of ["decrypt", "secretKey", "exportSecretKey", "decryptDistances", "decryptSums"])
        if (key in (value as object)) canDecrypt.push(`${path}.${key}`);
      for (const [key, child] of Object.entries(value)) if (key !== "seal") walk(child, `${path}.${key}`, depth + 1);
    };
    walk(csp, "csp", 0);
    expect(canDecrypt).toEqual([]);
    // The SEAL library object itself can build a Decryptor, but only from a SecretKey the CSP never gets.
    expect(Object.keys(csp).sort()).toEqual(["ckks", "galoisKeys", "masks", "relinKeys", "steps"]);
  });

  it("the key holder refuses to decrypt per-record data other than distances", () => {
    const raw = ckks.loadCiphertext(features.blocks[0][0]); // x_0 of every record, top level
    expect(() => keyHolder.decryptDistances({ kind: "distances", k: 1, blocks: 1, cts: [raw] }, n)).toThrow(/level/);
    ckks.evaluator.cipherModSwitchToNext(raw, raw);
    ckks.evaluator.cipherModSwitchToNext(raw, raw); // bottom level, scale Delta: shaped like sums
    const fake: EncSums = { kind: "sums", k: 1, p, classes: data.layout.classes, cts: [raw] };
    expect(() => keyHolder.decryptSums(fake, Float64Array.of(1))).toThrow(/not a consistent aggregate/);
    dispose(fake);
  });

  it("a stored secret key decrypts what the original key holder's public material encrypted", () => {
    const again = loadKeyHolder(ckks, keyHolder.exportSecretKey(), keyHolder.publicKeys);
    try {
      const centers = Float64Array.of(1, 2, 3, 4);
      const d = cspDistances(csp, data, again.encryptCenters(centers, 1, p));
      expect(maxAbsDiff(keyHolder.decryptDistances(d, n), distanceStep(X, n, p, centers, 1))).toBeLessThan(1e-6);
    } finally {
      again.dispose();
    }
  });
});

describe("stored feature blocks", () => {
  it("are column-major blocks of SEAL ciphertexts that contain no feature value as float64, float32, int64 or text", () => {
    expect(features).toMatchObject({ paramsId: ckks.id, n, p, slots: ckks.slots });
    expect(features.blocks).toHaveLength(1);
    expect(features.blocks[0]).toHaveLength(p);
    // 8-byte patterns (one float64 / int64, or two neighbouring float32 values of a column),
    // looked up at every byte offset: a chance match in ~1.6 MB of random bytes is ~1e-13 likely.
    const patterns = new Map<bigint, string>();
    const word = (f: (d: DataView) => void) => {
      const d = new DataView(new ArrayBuffer(8));
      f(d);
      return d.getBigUint64(0, true);
    };
    for (let j = 0; j < 40; j++)
      for (let l = 0; l < p; l++) {
        const v = X[j * p + l];
        const next = X[(j + 1) * p + l];
        for (const le of [true, false]) {
          patterns.set(
            word((d) => d.setFloat64(0, v, le)),
            `float64 ${v}`,
          );
          patterns.set(
            word((d) => d.setBigInt64(0, BigInt(Math.round(v * ckks.featureScale)), le)),
            `int64 ${v} * Delta`,
          );
          patterns.set(
            word((d) => (d.setFloat32(0, v, le), d.setFloat32(4, next, le))),
            `float32 ${v}, ${next}`,
          );
        }
      }
    const texts = Array.from({ length: 40 * p }, (_, i) => [String(X[i]), X[i].toFixed(4), X[i].toFixed(6)]).flat();
    for (const ct of features.blocks[0]) {
      expect(ct.byteLength).toBeGreaterThan(100_000);
      const view = new DataView(ct.buffer, ct.byteOffset, ct.byteLength);
      const found: string[] = [];
      for (let i = 0; i + 8 <= ct.byteLength; i++) {
        const hit = patterns.get(view.getBigUint64(i, true));
        if (hit) found.push(`${hit} at byte ${i}`);
      }
      expect(found).toEqual([]);
      const latin1 = new TextDecoder("latin1").decode(ct);
      expect(texts.filter((t) => latin1.includes(t))).toEqual([]);
    }
  });

  it("refuse records above the parameters' norm bound", () => {
    const Y = Float64Array.of(0, 0, 200, 0);
    expect(() => encryptFeatureBlocks(ckks, keyHolder.publicKeys.publicKey, Y, 2, 2)).toThrow(/norm/);
    expect(() => encryptFeatureBlocks(ckks, keyHolder.publicKeys.publicKey, Float64Array.of(NaN, 0), 1, 2)).toThrow(/finite/);
  });
});

describe("run-wide units: column statistics and feature scales", () => {
  it("column statistics reach the key holder intact; wrong shapes and values are refused", () => {
    const mean = Float64Array.of(2531.5, -3.25, 0);
    const sd = Float64Array.of(351.9, 0.5, 0);
    const bytes = encryptColumnStats(ckks, keyHolder.publicKeys.publicKey, { mean, sd, maxNorm: 12.5 });
    const ct = ckks.loadCiphertext(bytes);
    const got = keyHolder.decryptColumnStats(ct, 3);
    expect(maxAbsDiff(got.mean, mean)).toBeLessThan(1e-6);
    expect(maxAbsDiff(got.sd, sd)).toBeLessThan(1e-6);
    expect(got.maxNorm).toBeCloseTo(12.5, 6);
    // read with the wrong width, the statistics are not well formed
    expect(() => keyHolder.decryptColumnStats(ct, 2)).toThrow(/column statistics/);
    ct.delete();
    // a feature ciphertext is not a statistics ciphertext
    const feature = ckks.loadCiphertext(features.blocks[0][0]);
    expect(() => keyHolder.decryptColumnStats(feature, 1)).toThrow(/column statistics/);
    feature.delete();
    expect(() => encryptColumnStats(ckks, keyHolder.publicKeys.publicKey, { mean, sd: Float64Array.of(1, -1, 0), maxNorm: 1 })).toThrow(/feature 1/);
    expect(() => encryptColumnStats(ckks, keyHolder.publicKeys.publicKey, { mean, sd, maxNorm: 1e6 })).toThrow(/record norm/);
    expect(() => keyHolder.encryptScales(Float64Array.of(1, 5, 1, 1))).toThrow(/scale 5/);
  });

  it("the CSP rescales an upload's distance copies by encrypted scales: distances in the new units, no extra depth", () => {
    const scales = Float64Array.of(0.5, 1.25, 2, 1);
    const own = cspPrepare(csp, features);
    try {
      const msg = keyHolder.encryptScales(scales);
      cspScaleFeatures(csp, own, msg);
      dispose(msg);
      const Y = Float64Array.from(X, (x, t) => scales[t % p] * x);
      const v = Float64Array.from({ length: 2 * p }, (_, i) => Math.cos(i));
      const reply = cspDistances(csp, own, keyHolder.encryptCenters(v, 2, p));
      const d2 = keyHolder.decryptDistances(reply, n);
      dispose(reply);
      expect(maxAbsDiff(d2, distanceStep(Y, n, p, v, 2))).toBeLessThan(1e-6);
    } finally {
      disposeDataset(own);
    }
  });
});
