/**
 * npm run bench:blind [-- --data wdbc | --data blobs --n 4096 --p 20 --k 3] [--max-iter N] [--draws N]
 * A whole blind clustering run on ciphertexts (lib/hopcm/encrypted/blind/run.ts, issue #14): the
 * CSP's and the key holder's time per step, the traffic between them, and the labels against the
 * plaintext reference of the same algorithm (lib/hopcm/blind.ts) and against the truth. Both
 * parties run in this process; the key holder's time is what it spends decrypting, summing and
 * encrypting (lib/hopcm/encrypted/blind/bench.ts).
 */
import os from "node:os";
import path from "node:path";
import { readFileSync } from "node:fs";
import { csvRecords, parseCsv } from "../lib/csv/csv";
import { BLIND_PROTOCOL } from "../lib/hopcm/encrypted/blind/context";
import { benchBlindRun, blindBenchTable } from "../lib/hopcm/encrypted/blind/bench";
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
    k = Number(arg("k", "3"));
    const b = makeBlobs(Number(arg("n", "4096")), Number(arg("p", "20")), k, { seed: 1 });
    ({ X, n, p } = b);
    truth = b.labels;
  }
  const bench = await benchBlindRun(await loadSealNode(), X, n, p, { k, seed: 1, maxIter: Number(arg("max-iter", "100")), draws: Number(arg("draws", "3")) });
  const ari = (a: ArrayLike<unknown>, b: ArrayLike<number>) => adjustedRandIndex(a as ArrayLike<number>, b).toFixed(3);
  console.log(
    `Blind protocol run (${data}): n = ${n}, p = ${p}, k = ${k}, N = ${BLIND_PROTOCOL.N} (${BLIND_PROTOCOL.chain.join(" + ")} bits); ` +
      `${os.cpus()[0]?.model ?? "?"} (${os.cpus().length} cores), Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`,
  );
  console.log("");
  console.log(blindBenchTable(bench));
  console.log("");
  console.log(
    `steps ${bench.iterations} (reference ${bench.referenceIterations}); whole run ${(bench.totalMs / 1000).toFixed(0)} s (key holder ${(bench.keyHolderMs / 1000).toFixed(0)} s); ` +
      `ARI vs the reference ${ari(bench.reference, bench.labels)}, vs the truth ${ari(truth, bench.labels)} (reference vs the truth ${ari(truth, bench.reference)})`,
  );
}

void main();
