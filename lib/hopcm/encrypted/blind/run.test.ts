// The blind protocol on CKKS ciphertexts (issue #14): the CSP's per-record work under encryption,
// the key holder seeing masked values and aggregates only. Against the plaintext reference of the
// same algorithm (lib/hopcm/blind.ts), on a short run (one draw, a few steps per phase).
import { describe, expect, it } from "vitest";
import { blindCluster, runBlind, type BlindOptions } from "../../blind";
import { adjustedRandIndex } from "../../metrics";
import { makeBlobs } from "../../synthetic";
import { loadSealNode } from "../seal-node";
import { blindCkks } from "./context";
import { BlindCsp, BlindKeyHolder, encryptedBlindBackend } from "./run";

describe("the blind protocol on ciphertexts (N = 16384)", () => {
  it("computes the reference's aggregates and labels, the key holder seeing only masked values and aggregates", async () => {
    const seal = await loadSealNode();
    const ckks = blindCkks(seal);
    const { X, n, p } = makeBlobs(200, 4, 2, { seed: 3, spread: 4 });
    const options: BlindOptions = { k: 2, seed: 5, draws: 1, maxIter: 3 };
    const clip = 3;
    // the hospital: clipped z-scores, one ciphertext per feature, under the public key
    const features = Array.from({ length: p }, (_, l) =>
      ckks.encryptor.encrypt(
        ckks.encoder.encode(
          Float64Array.from({ length: ckks.slots }, (_, j) => (j < n ? Math.max(-clip, Math.min(clip, X[j * p + l])) : 0)),
          2 ** 40,
        )!,
      )!,
    );
    const keyHolder = new BlindKeyHolder({ encoder: ckks.encoder, encryptor: ckks.encryptor, decryptor: ckks.decryptor }, n, true);
    const csp = new BlindCsp(
      { seal, context: ckks.context, encoder: ckks.encoder, evaluator: ckks.evaluator, relinKeys: ckks.relinKeys, N: ckks.N },
      features,
      n,
      2,
      clip,
      keyHolder,
    );
    const started = performance.now();
    const encrypted = runBlind(encryptedBlindBackend(csp, p), options);
    const ms = performance.now() - started;
    const reference = blindCluster(X, n, p, options);

    expect(encrypted.trace.length).toBe(reference.trace.length);
    let worst = 0;
    encrypted.trace.forEach((step, t) => {
      const ref = reference.trace[t];
      worst = Math.max(worst, Math.abs(step.meanD2 - ref.meanD2) / ref.meanD2);
      for (let i = 0; i < 2; i++) {
        const W = ref.sums[i * (p + 2) + p];
        for (let c = 0; c < p + 2; c++) worst = Math.max(worst, Math.abs(step.sums[i * (p + 2) + c] - ref.sums[i * (p + 2) + c]) / Math.max(W, 1));
      }
    });
    console.log(
      `blind protocol, n = ${n}, p = ${p}, k = 2, ${encrypted.iterations} steps: ${(ms / 1000).toFixed(1)} s ` +
        `(key holder ${(keyHolder.ms / 1000).toFixed(1)} s), traffic ${(csp.traffic.toKeyHolder / 2 ** 20).toFixed(0)} MB to the key holder, ` +
        `${(csp.traffic.toCsp / 2 ** 20).toFixed(0)} MB back; worst aggregate error ${worst.toExponential(1)} of W`,
    );
    expect(worst).toBeLessThan(1e-3);
    expect(adjustedRandIndex(reference.labels, encrypted.labels)).toBeGreaterThanOrEqual(0.98);
    // what the key holder decrypted per record: masked values only, each far wider than any record value
    const perRecord = keyHolder.seen.filter((s) => s.kind !== "sum");
    expect(perRecord.length).toBeGreaterThan(0);
    for (const { values } of perRecord) {
      let big = 0;
      for (const v of values) if (Math.abs(v) > 1e3) big++;
      expect(big / values.length).toBeGreaterThan(0.99);
    }
    ckks.dispose();
  }, 600_000);
});
