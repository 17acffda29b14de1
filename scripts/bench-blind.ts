/**
 * npm run bench:blind [-- --data wdbc | --data blobs --n 4096 --p 20 --k 3] [--max-iter N] [--draws N]
 * A whole blind clustering run on ciphertexts (lib/hopcm/encrypted/blind/run.ts, issue #14): the
 * CSP's and the key holder's time per step, the traffic between them (uncompressed SEAL
 * serialisation), and the labels against the plaintext reference of the same algorithm
 * (lib/hopcm/blind.ts) and against the truth. Both parties run in this process; the key holder's
 * time is what it spends decrypting, summing and encrypting.
 */
import os from "node:os";
import path from "node:path";
import { readFileSync } from "node:fs";
import { csvRecords, parseCsv } from "../lib/csv/csv";
import { blindCluster, runBlind, type BlindBackend, type BlindOptions } from "../lib/hopcm/blind";
import { BLIND_PROTOCOL, blindCkks } from "../lib/hopcm/encrypted/blind/context";
import { BlindCsp, BlindKeyHolder, encryptedBlindBackend } from "../lib/hopcm/encrypted/blind/run";
import { loadSealNode } from "../lib/hopcm/encrypted/seal-node";
import { fitFeatures } from "../lib/hopcm/features";
import { adjustedRandIndex } from "../lib/hopcm/metrics";
import { makeBlobs } from "../lib/hopcm/synthetic";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

async function main() {
  const data = arg("data", "wdbc");
  let X: Float64Array, n: number, p: number, k: number, truth: ArrayLike<unknown>;
  if (data === "wdbc") {
    const wdbc = fitFeatures(csvRecords(parseCsv(readFileSync(path.resolve("../shared/datasets/wdbc.csv"), "utf8"))), {
      label: "diagnosis",
      strictNumeric: true,
    });
    ({ X, n, p } = wdbc);
    k = 2;
    truth = wdbc.labels as string[];
  } else {
    const b = makeBlobs(Number(arg("n", "4096")), Number(arg("p", "20")), Number(arg("k", "3")), { seed: 1 });
    ({ X, n, p } = b);
    k = Number(arg("k", "3"));
    truth = b.labels;
  }
  const options: BlindOptions = { k, seed: 1, maxIter: Number(arg("max-iter", "100")), draws: Number(arg("draws", "3")) };
  const seal = await loadSealNode();
  const ckks = blindCkks(seal, BLIND_PROTOCOL.chain, [], BLIND_PROTOCOL.N);
  if (n > ckks.slots) throw new RangeError(`n = ${n} is more than one block (${ckks.slots} records)`);
  const clip = 3;
  const features = Array.from({ length: p }, (_, l) =>
    ckks.encryptor.encrypt(
      ckks.encoder.encode(
        Float64Array.from({ length: ckks.slots }, (_, j) => (j < n ? Math.max(-clip, Math.min(clip, X[j * p + l])) : 0)),
        2 ** 40,
      )!,
    )!,
  );
  const keyHolder = new BlindKeyHolder({ encoder: ckks.encoder, encrypt: (pt) => ckks.symmetric.encryptSymmetric(pt)!, decryptor: ckks.decryptor }, n);
  const csp = new BlindCsp(
    { seal, context: ckks.context, encoder: ckks.encoder, evaluator: ckks.evaluator, relinKeys: ckks.relinKeys, N: ckks.N },
    features,
    n,
    k,
    clip,
    keyHolder,
  );
  const inner = encryptedBlindBackend(csp, p);
  // per step: wall time, the key holder's part of it, the traffic
  const steps: Array<{ ms: number; kh: number; toKh: number; toCsp: number }> = [];
  let mark = { at: performance.now(), kh: 0, toKh: 0, toCsp: 0 };
  const close = () => {
    const now = { at: performance.now(), kh: keyHolder.ms, toKh: csp.traffic.toKeyHolder, toCsp: csp.traffic.toCsp };
    steps.push({ ms: now.at - mark.at, kh: now.kh - mark.kh, toKh: now.toKh - mark.toKh, toCsp: now.toCsp - mark.toCsp });
    mark = now;
  };
  const backend: BlindBackend = {
    ...inner,
    distances: (from) => inner.distances(from),
    aggregate: (scales) => {
      const out = inner.aggregate(scales);
      close();
      return out;
    },
    nearest: () => inner.nearest(),
  };
  const started = performance.now();
  mark = { at: started, kh: 0, toKh: 0, toCsp: 0 };
  const run = runBlind(backend, options);
  const totalMs = performance.now() - started;
  const reference = blindCluster(X, n, p, options);

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const MB = 2 ** 20;
  console.log(
    `Blind protocol run (${data}): n = ${n}, p = ${p}, k = ${k}, N = ${BLIND_PROTOCOL.N} (${BLIND_PROTOCOL.chain.join(" + ")} bits); ` +
      `${os.cpus()[0]?.model ?? "?"} (${os.cpus().length} cores), Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`,
  );
  console.log("");
  console.log("| per step | median | max |");
  console.log("|---|---:|---:|");
  const csp_ = steps.map((s) => s.ms - s.kh);
  console.log(`| CSP (s) | ${(median(csp_) / 1000).toFixed(2)} | ${(Math.max(...csp_) / 1000).toFixed(2)} |`);
  console.log(`| key holder (s) | ${(median(steps.map((s) => s.kh)) / 1000).toFixed(2)} | ${(Math.max(...steps.map((s) => s.kh)) / 1000).toFixed(2)} |`);
  console.log(
    `| CSP -> key holder (MB) | ${(median(steps.map((s) => s.toKh)) / MB).toFixed(0)} | ${(Math.max(...steps.map((s) => s.toKh)) / MB).toFixed(0)} |`,
  );
  console.log(
    `| key holder -> CSP (MB) | ${(median(steps.map((s) => s.toCsp)) / MB).toFixed(0)} | ${(Math.max(...steps.map((s) => s.toCsp)) / MB).toFixed(0)} |`,
  );
  console.log("");
  console.log(
    `steps ${run.iterations} (reference ${reference.iterations}); whole run ${(totalMs / 1000).toFixed(0)} s (key holder ${(keyHolder.ms / 1000).toFixed(0)} s); ` +
      `ARI vs the reference ${adjustedRandIndex(reference.labels, run.labels).toFixed(3)}, vs the truth ${adjustedRandIndex(truth as ArrayLike<number>, run.labels).toFixed(3)} ` +
      `(reference vs the truth ${adjustedRandIndex(truth as ArrayLike<number>, reference.labels).toFixed(3)})`,
  );
  ckks.dispose();
}

void main();
