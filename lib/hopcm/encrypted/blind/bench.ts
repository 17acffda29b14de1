/**
 * A whole blind run on ciphertexts, timed per step for the benches (`npm run bench:blind`,
 * `npm run bench:hopcm -- --blind`): the CSP's and the key holder's time, the traffic between them
 * (uncompressed SEAL serialisation), and the labels against the plaintext reference.
 */
import { blindCluster, type BlindOptions, type BlindResult } from "../../blind";
import type { Seal } from "../params";
import { BLIND_PROTOCOL, blindCkks } from "./context";
import { seededEncryption } from "./keys";
import { blockCounts, BlindCsp, BlindKeyHolder, ciphertextBytes, type KeyHolderWire } from "./run";
import { BlindKeyHolderSession, driveBlindRun, sessionWire, type BlindOrder, type BlindSessionWire } from "./session";

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
export function blindInOneProcess(seal: Seal, X: Float64Array, n: number, p: number, k: number, clip = 3, record = false, counts?: number[]) {
  const ckks = blindCkks(seal, BLIND_PROTOCOL.chain, [], BLIND_PROTOCOL.N);
  const slots = ckks.slots;
  // per block (`counts` records each: several uploads' blocks; by default one upload's, blockCounts), one ciphertext per feature
  const sizes = counts ?? blockCounts(n, slots);
  const starts = sizes.map((_, b) => sizes.slice(0, b).reduce((a, c) => a + c, 0));
  const blocks = sizes.map((size, blk) =>
    Array.from({ length: p }, (_, l) => {
      const pt = ckks.encoder.encode(
        Float64Array.from({ length: slots }, (_, s) => (s < size ? Math.max(-clip, Math.min(clip, X[(starts[blk] + s) * p + l])) : 0)),
        2 ** 40,
      )!;
      const ct = ckks.encryptor.encrypt(pt)!;
      pt.delete();
      return ct;
    }),
  );
  const keyHolder = new BlindKeyHolder({ encoder: ckks.encoder, encrypt: seededEncryption(seal, ckks.symmetric), decryptor: ckks.decryptor }, record);
  // the CSP's calls go to the session of the run going on (one at a time)
  let wire: BlindSessionWire | null = null;
  const current = () => {
    if (!wire) throw new Error("no run is going on");
    return wire;
  };
  const forward: KeyHolderWire = {
    refresh: (masked, records) => current().refresh(masked, records),
    broadcastSums: (masked, records) => current().broadcastSums(masked, records),
    labels: (signs, kk, records) => current().labels(signs, kk, records),
  };
  const csp = new BlindCsp(
    { seal, context: ckks.context, encoder: ckks.encoder, evaluator: ckks.evaluator, relinKeys: ckks.relinKeys, N: ckks.N },
    blocks,
    n,
    k,
    clip,
    forward,
    counts,
  );
  return {
    keyHolder,
    csp,
    /** A whole run: the key holder's session (the controller) and the CSP's driver, every message as bytes. */
    async run(options: BlindOptions, between?: (order: BlindOrder, steps: number) => void | Promise<void>): Promise<BlindResult> {
      const session = new BlindKeyHolderSession(keyHolder, ciphertextBytes({ seal, context: ckks.context }), slots, options);
      wire = sessionWire(session);
      try {
        const { labels } = await driveBlindRun(csp, wire, between);
        return { ...session.result!, labels };
      } finally {
        wire = null;
      }
    },
    dispose() {
      csp.dispose();
      for (const ct of blocks.flat()) ct.delete();
      ckks.dispose();
    },
  };
}

/** A whole run with both parties in this process, timed per step. */
export async function benchBlindRun(seal: Seal, X: Float64Array, n: number, p: number, options: BlindOptions): Promise<BlindBench> {
  const { keyHolder, csp, run: blindRun, dispose } = blindInOneProcess(seal, X, n, p, options.k, options.clip ?? 3);
  try {
    const steps: BlindBenchStep[] = [];
    const started = performance.now();
    let mark = { at: started, kh: 0, toKh: 0, toCsp: 0 };
    let done = 0;
    // a step ends when the CSP's aggregate has been answered (distances, weights, sums)
    const run = await blindRun(options, (_order, counted) => {
      if (counted === done) return;
      done = counted;
      const now = { at: performance.now(), kh: keyHolder.ms, toKh: csp.traffic.toKeyHolder, toCsp: csp.traffic.toCsp };
      steps.push({ ms: now.at - mark.at, keyHolderMs: now.kh - mark.kh, toKeyHolder: now.toKh - mark.toKh, toCsp: now.toCsp - mark.toCsp });
      mark = now;
    });
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
