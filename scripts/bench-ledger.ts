/**
 * npm run bench:ledger [-- --size 1000000 --samples 1000]
 * Builds an RFC 9162 tree of `size` log entries in memory, storing per append exactly the
 * complete subtrees lib/ledger/tree.ts stores in the database, then times inclusion and
 * consistency proof generation (from those stored subtrees: O(log n) nodes) and verification
 * at random positions. Prints a table; every proof is also checked to verify.
 */
import { createHash, randomBytes } from "node:crypto";
import os from "node:os";
import { consistencyProof, inclusionPath, leafHash, MemoryTree, nodesRead, rootHash, verifyConsistency, verifyInclusion } from "../lib/ledger/merkle";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : fallback;
}
const size = flag("size", 1_000_000);
const samples = flag("samples", 1000);

const t0 = performance.now();
const tree = new MemoryTree();
let prev = "0".repeat(64);
for (let i = 0; i < size; i++) {
  // An entry hash as the chain makes them: SHA-256(previous || entry).
  prev = createHash("sha256").update(prev).update(`entry ${i}`).digest("hex");
  tree.append(leafHash(Buffer.from(prev, "hex")));
}
const buildMs = performance.now() - t0;
const stored = tree.levels.reduce((n, l) => n + l.length, 0);
const root = rootHash(tree.get, size);

type Row = { what: string; times: number[]; nodes: number[] };
const rows: Row[] = ["inclusion proof: generate", "inclusion proof: verify", "consistency proof: generate", "consistency proof: verify"].map((what) => ({
  what,
  times: [],
  nodes: [],
}));
const rand = (n: number) => randomBytes(4).readUInt32BE() % n;
for (let s = 0; s < samples; s++) {
  const index = rand(size);
  let t = performance.now();
  const path = inclusionPath(tree.get, index, size);
  rows[0].times.push(performance.now() - t);
  rows[0].nodes.push(nodesRead((get) => inclusionPath(get, index, size)).length);
  t = performance.now();
  if (!verifyInclusion(tree.levels[0][index], index, size, path, root)) throw new Error("inclusion proof did not verify");
  rows[1].times.push(performance.now() - t);

  const first = 1 + rand(size - 1);
  t = performance.now();
  const proof = consistencyProof(tree.get, first, size);
  rows[2].times.push(performance.now() - t);
  rows[2].nodes.push(nodesRead((get) => consistencyProof(get, first, size)).length);
  const firstRoot = rootHash(tree.get, first);
  t = performance.now();
  if (!verifyConsistency(first, size, proof, firstRoot, root)) throw new Error("consistency proof did not verify");
  rows[3].times.push(performance.now() - t);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const f = (ms: number) => ms.toFixed(3).padStart(8);
console.log(
  `RFC 9162 tree of ${size.toLocaleString("en")} entries: built in ${(buildMs / 1000).toFixed(1)} s, ${stored.toLocaleString("en")} stored subtrees; ${samples} random samples`,
);
console.log(`Node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, load ${os.loadavg()[0].toFixed(1)}`);
console.log("| operation | median ms | p99 ms | max ms | stored nodes read (max) | under 10 ms |");
console.log("|---|---:|---:|---:|---:|---|");
for (const r of rows) {
  const max = Math.max(...r.times);
  console.log(
    `| ${r.what} | ${f(pct(r.times, 50))} | ${f(pct(r.times, 99))} | ${f(max)} | ${r.nodes.length ? Math.max(...r.nodes) : "–"} | ${pct(r.times, 99) < 10 ? "yes" : "NO"} |`,
  );
}
