/**
 * A whole blind run on ciphertexts, timed per step for the benches (`npm run bench:blind`,
 * `npm run bench:hopcm -- --blind`): the CSP's and the key holder's time, the traffic between them
 * (uncompressed SEAL serialisation), and the labels against the plaintext reference.
 */
import { blindCluster, runBlind, type BlindBackend, type BlindOptions } from "../../blind";
import type { Seal } from "../params";
import { BLIND_PROTOCOL, blindCkks } from "./context";
import { BlindCsp, BlindKeyHolder, encryptedBlindBackend } from "./run";

export interface BlindBenchStep {
  /** Wall time of the step, the key holder's part of it, bytes each way. */
  ms: number;
  keyHolderMs: number;
  toKeyHolder: number;
  toCsp: number;
}

export interface BlindBench {
  steps: BlindBenchStep[];
  totalMs: number;
  keyHolderMs: number;
  labels: Int32Array;
  reference: Int32Array;
  iterations: number;
  referenceIterations: number;
}

/**
 * The hospital's encryption (clipped z-scores, one ciphertext per feature, public key) and both
 * parties in one process, each given only its own tools (tests and benches). `record`: the key
 * holder keeps everything it decrypts (`keyHolder.seen`).
 */
export function blindInOneProcess(seal: Seal, X: Float64Array, n: number, p: number, k: number, clip = 3, record = false) {
  const ckks = blindCkks(seal, BLIND_PROTOCOL.chain, [], BLIND_PROTOCOL.N);
  const slots = ckks.slots;
  // per block of N/2 records, one ciphertext per feature
  const blocks = Array.from({ length: Math.ceil(n / slots) }, (_, blk) =>
    Array.from({ length: p }, (_, l) => {
      const pt = ckks.encoder.encode(
        Float64Array.from({ length: slots }, (_, s) => {
          const j = blk * slots + s;
          return j < n ? Math.max(-clip, Math.min(clip, X[j * p + l])) : 0;
        }),
        2 ** 40,
      )!;
      const ct = ckks.encryptor.encrypt(pt)!;
      pt.delete();
      return ct;
    }),
  );
  const keyHolder = new BlindKeyHolder({ encoder: ckks.encoder, encrypt: (pt) => ckks.symmetric.encryptSymmetric(pt)!, decryptor: ckks.decryptor }, record);
  const csp = new BlindCsp(
    { seal, context: ckks.context, encoder: ckks.encoder, evaluator: ckks.evaluator, relinKeys: ckks.relinKeys, N: ckks.N },
    blocks,
    n,
    k,
    clip,
    keyHolder,
  );
  return {
    keyHolder,
    csp,
    dispose() {
      csp.dispose();
      for (const ct of blocks.flat()) ct.delete();
      ckks.dispose();
    },
  };
}

/** A whole run with both parties in this process, timed per step. */
export function benchBlindRun(seal: Seal, X: Float64Array, n: number, p: number, options: BlindOptions): BlindBench {
  const { keyHolder, csp, dispose } = blindInOneProcess(seal, X, n, p, options.k, options.clip ?? 3);
  try {
    const inner = encryptedBlindBackend(csp, p);
    const steps: BlindBenchStep[] = [];
    const started = performance.now();
    let mark = { at: started, kh: 0, toKh: 0, toCsp: 0 };
    const backend: BlindBackend = {
      ...inner,
      distances: (from) => inner.distances(from),
      aggregate: (scales) => {
        const out = inner.aggregate(scales);
        const now = { at: performance.now(), kh: keyHolder.ms, toKh: csp.traffic.toKeyHolder, toCsp: csp.traffic.toCsp };
        steps.push({ ms: now.at - mark.at, keyHolderMs: now.kh - mark.kh, toKeyHolder: now.toKh - mark.toKh, toCsp: now.toCsp - mark.toCsp });
        mark = now;
        return out;
      },
      nearest: () => inner.nearest(),
    };
    const run = runBlind(backend, options);
    const totalMs = performance.now() - started;
    const reference = blindCluster(X, n, p, options);
    return {
      steps,
      totalMs,
      keyHolderMs: keyHolder.ms,
      labels: run.labels,
      reference: reference.labels,
      iterations: run.iterations,
      referenceIterations: reference.iterations,
    };
  } finally {
    dispose();
  }
}

/** The per-step table (markdown): median and largest CSP time, key-holder time and traffic. */
export function blindBenchTable(bench: BlindBench): string {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const row = (name: string, xs: number[], unit: number, digits: number) =>
    `| ${name} | ${(median(xs) / unit).toFixed(digits)} | ${(Math.max(...xs) / unit).toFixed(digits)} |`;
  return [
    "| per step | median | max |",
    "|---|---:|---:|",
    row(
      "CSP (s)",
      bench.steps.map((s) => s.ms - s.keyHolderMs),
      1000,
      2,
    ),
    row(
      "key holder (s)",
      bench.steps.map((s) => s.keyHolderMs),
      1000,
      2,
    ),
    row(
      "CSP -> key holder (MB)",
      bench.steps.map((s) => s.toKeyHolder),
      2 ** 20,
      0,
    ),
    row(
      "key holder -> CSP (MB)",
      bench.steps.map((s) => s.toCsp),
      2 ** 20,
      0,
    ),
  ].join("\n");
}
