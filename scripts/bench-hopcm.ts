/**
 * npm run bench:hopcm [-- --sizes 10000,100000 --p 10 --k 3 --repeats 7 --clock wall|cpu --json --ckks]
 * Reference HoPCM on seeded synthetic blobs: total time, iterations, ms per iteration, and the
 * CSP-side (distance + weighted-sum steps) vs key-holder-side split.
 *
 * --ckks adds the encrypted protocol (lib/hopcm/encrypted: CKKS, node-seal) as a backend: its
 * rows appear under the reference with "labels = ref" and the largest center difference, and a
 * second table splits each iteration into CSP work on ciphertexts, key-holder cryptography and
 * the coordinator, e.g. `npx tsx scripts/bench-hopcm.ts --sizes 4096 --p 20 --k 3 --ckks`.
 *
 * --blind adds the blind protocol (lib/hopcm/encrypted/blind, issue #14) on the sizes that fit one
 * block (n <= 4096): one draw and --blind-steps steps per phase (default 3), per-step CSP and
 * key-holder time and traffic; `npm run bench:blind` runs it to the end.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { benchHopcm, type BenchBackendFactory, type BenchRow } from "../lib/hopcm/bench";
import { setupEncryptedHopcm, type EncryptedSetup } from "../lib/hopcm/encrypted";
import { loadSealNode } from "../lib/hopcm/encrypted/seal-node";
import { benchBlindRun, blindBenchTable } from "../lib/hopcm/encrypted/blind/bench";
import { makeBlobs } from "../lib/hopcm/synthetic";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

// --clock cpu: this process's CPU time instead of wall time (fairer on a shared machine;
// includes V8's GC helper threads).
const cpuClock = flag("clock", "wall") === "cpu";
const now = cpuClock
  ? () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
  : () => performance.now();

/** Encrypted runs, kept to report their per-party split after benchHopcm. */
const encryptedRuns: { n: number; p: number; run: EncryptedSetup }[] = [];
const backends: BenchBackendFactory[] = process.argv.includes("--ckks")
  ? [
      {
        name: "CKKS N=8192 (node-seal)",
        create: async (X, n, p) => {
          const run = setupEncryptedHopcm(await loadSealNode(), X, n, p, { now });
          encryptedRuns.push({ n, p, run });
          return run.backend;
        },
      },
    ]
  : [];

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? "unknown CPU";
}

function table(rows: BenchRow[]): string {
  const head = ["backend", "n", "p", "k", "iterations", "total ms", "ms/iter", "CSP ms", "key holder ms", "first run ms", "ARI", "labels = ref", "max |dv|"];
  const body = rows.map((r) => [
    r.name,
    String(r.n),
    String(r.p),
    String(r.k),
    String(r.iterations),
    r.ms.toFixed(1),
    r.msPerIteration.toFixed(2),
    r.cspMs.toFixed(1),
    r.keyHolderMs.toFixed(1),
    r.coldMs === null ? "-" : r.coldMs.toFixed(1),
    r.ari.toFixed(4),
    r.labelsMatch === null ? "-" : r.labelsMatch ? "yes" : "NO",
    r.maxCenterDiff === null ? "-" : r.maxCenterDiff.toExponential(1),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => `| ${cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join(" | ")} |`;
  return [line(head), `|${widths.map((w, c) => (c === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`, ...body.map(line)].join("\n");
}

const sizes = flag("sizes", "10000,100000").split(",").map(Number);
const rows = await benchHopcm({
  sizes,
  p: Number(flag("p", "10")),
  k: Number(flag("k", "3")),
  repeats: Number(flag("repeats", "7")),
  backends,
  now,
});
const encrypted = encryptedRuns.map(({ n, p, run }) => {
  const row = rows.find((r) => r.name === backends[0].name && r.n === n && r.p === p)!;
  const { csp, keyHolder, count } = run.backend.times;
  const iter = (t: typeof csp) => t.distances / count.distances + t.weightedSums / count.weightedSums;
  const backendMs = [csp, keyHolder].reduce((s, t) => s + t.distances + t.weightedSums + t.pointDistances, run.backend.times.wire);
  const perIteration = { csp: iter(csp), keyHolder: iter(keyHolder), coordinator: (row.ms - backendMs) / row.iterations };
  run.dispose();
  return {
    n,
    p,
    k: row.k,
    iterations: row.iterations,
    requests: count,
    perIteration: { ...perIteration, total: perIteration.csp + perIteration.keyHolder + perIteration.coordinator },
    perRequest: {
      csp: { distances: csp.distances / count.distances, weightedSums: csp.weightedSums / count.weightedSums },
      keyHolder: { distances: keyHolder.distances / count.distances, weightedSums: keyHolder.weightedSums / count.weightedSums },
    },
    seeding: { csp: csp.pointDistances / count.pointDistances, keyHolder: keyHolder.pointDistances / count.pointDistances },
    setup: run.setup,
    labelsMatch: row.labelsMatch,
    maxCenterDiff: row.maxCenterDiff,
  };
});

function encryptedTable(): string {
  const head = [
    "n",
    "p",
    "k",
    "iter",
    "CSP ms/iter",
    "(dist + sums)",
    "KH crypto ms/iter",
    "(dist + sums)",
    "coordinator ms/iter",
    "total ms/iter",
    "seed CSP/KH ms",
    "setup keygen/encrypt/prepare ms",
    "labels = ref",
    "max |dv|",
  ];
  const f = (x: number) => x.toFixed(0);
  const body = encrypted.map((e) => [
    String(e.n),
    String(e.p),
    String(e.k),
    String(e.iterations),
    f(e.perIteration.csp),
    `${f(e.perRequest.csp.distances)} + ${f(e.perRequest.csp.weightedSums)}`,
    f(e.perIteration.keyHolder),
    `${f(e.perRequest.keyHolder.distances)} + ${f(e.perRequest.keyHolder.weightedSums)}`,
    e.perIteration.coordinator.toFixed(1),
    f(e.perIteration.total),
    `${f(e.seeding.csp)} / ${f(e.seeding.keyHolder)}`,
    `${f(e.setup.keygen)} / ${f(e.setup.encrypt)} / ${f(e.setup.prepare)}`,
    e.labelsMatch ? "yes" : "NO",
    e.maxCenterDiff === null ? "-" : e.maxCenterDiff.toExponential(1),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => `| ${cells.map((x, c) => x.padStart(widths[c])).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => `${"-".repeat(w + 1)}:`).join("|")}|`, ...body.map(line)].join("\n");
}

if (process.argv.includes("--json"))
  process.stdout.write(`${JSON.stringify({ cpu: cpuModel(), node: process.version, clock: cpuClock ? "cpu" : "wall", rows, encrypted })}\n`);
else {
  process.stdout.write(`HoPCM reference, seeded blobs (makeBlobs seed 1), median of timed runs after one first run, ${cpuClock ? "CPU" : "wall"} time\n`);
  process.stdout.write(`${cpuModel()}, ${os.cpus().length} logical CPUs, Node ${process.version}\n\n${table(rows)}\n`);
  if (encrypted.length)
    process.stdout.write(
      `\nEncrypted protocol (one run each): per iteration = one distances + one weighted-sums request; ` +
        `KH crypto = the key holder's encryption and decryption; coordinator = lib/hopcm's membership step etc. (also at the key holder); ` +
        `seeding = one k-means++ point-distance request\n\n${encryptedTable()}\n`,
    );
}

if (process.argv.includes("--blind") && !process.argv.includes("--json")) {
  const p = Number(flag("p", "10"));
  const k = Number(flag("k", "3"));
  for (const n of sizes.filter((n) => n <= 4096)) {
    const { X } = makeBlobs(n, p, k, { seed: 1 });
    const bench = await benchBlindRun(await loadSealNode(), X, n, p, { k, seed: 1, draws: 1, maxIter: Number(flag("blind-steps", "3")) });
    process.stdout.write(
      `\nBlind protocol, n = ${n}, p = ${p}, k = ${k}: ${bench.iterations} steps (one draw, at most ${flag("blind-steps", "3")} per phase), ` +
        `labels = ref: ${bench.labels.every((l, j) => l === bench.reference[j]) ? "yes" : "NO"}, load ${os.loadavg()[0].toFixed(2)}\n\n${blindBenchTable(bench)}\n`,
    );
  }
}
