/**
 * npm run bench:hopcm [-- --sizes 10000,100000 --p 10 --k 3 --repeats 7 --clock wall|cpu --json]
 * Reference HoPCM on seeded synthetic blobs: total time, iterations, ms per iteration, and the
 * CSP-side (distance + weighted-sum steps) vs key-holder-side split.
 *
 * Encrypted protocol hook: add a factory to `backends` below (an AsyncHopcmBackend over the
 * encrypted tensors, e.g. from lib/csp). Its rows appear under the reference with
 * "labels = ref" and the largest center difference.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { benchHopcm, type BenchBackendFactory, type BenchRow } from "../lib/hopcm/bench";

const backends: BenchBackendFactory[] = [
  // { name: "CKKS (node-seal)", create: (X, n, p) => createCkksBackend(X, n, p) },
];

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

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

// --clock cpu: this process's CPU time instead of wall time (fairer on a shared machine;
// includes V8's GC helper threads).
const cpuClock = flag("clock", "wall") === "cpu";
const now = cpuClock
  ? () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    }
  : () => performance.now();
const sizes = flag("sizes", "10000,100000").split(",").map(Number);
const rows = await benchHopcm({
  sizes,
  p: Number(flag("p", "10")),
  k: Number(flag("k", "3")),
  repeats: Number(flag("repeats", "7")),
  backends,
  now,
});
if (process.argv.includes("--json"))
  process.stdout.write(`${JSON.stringify({ cpu: cpuModel(), node: process.version, clock: cpuClock ? "cpu" : "wall", rows })}\n`);
else {
  process.stdout.write(
    `HoPCM reference, seeded blobs (makeBlobs seed 1), median of timed runs after one first run, ${cpuClock ? "CPU" : "wall"} time\n`,
  );
  process.stdout.write(`${cpuModel()}, ${os.cpus().length} logical CPUs, Node ${process.version}\n\n${table(rows)}\n`);
}
