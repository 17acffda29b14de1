/**
 * ABE-OD benchmark (thin wrapper over lib/abe/bench.ts).
 *   npm run bench:abe               table
 *   npm run bench:abe -- --json     exactly one JSON object on stdout
 *   options: --reps N (default 15), --ref-reps N (default 3), --attributes 2,3,5,8,10,
 *            --clock cpu (process CPU time instead of wall time, for machines shared with other jobs)
 */
import os from "node:os";
import { type BenchRow, runAbeBenchmark } from "../lib/abe/bench";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
  };
}

const COLUMNS: [keyof BenchRow, string][] = [
  ["attributes", "N"],
  ["setup_per_attribute_ms", "setup/attr"],
  ["keygen_ms", "keygen"],
  ["encrypt_ms", "encrypt"],
  ["integrity_check_ms", "integrity"],
  ["full_decrypt_ms", "full dec"],
  ["partial_decrypt_ms", "CSP partial"],
  ["user_decrypt_ms", "user final"],
  ["user_decrypt_fo_ms", "user+FO"],
  ["abs_sign_ms", "ABS sign"],
  ["abs_verify_ms", "ABS verify"],
  ["enc_plus_user_dec_ms", "enc+user dec"],
  ["paper_ms", "paper 4.1"],
  ["reference_enc_plus_dec_ms", "reference"],
  ["speedup", "speedup"],
];

function table(rows: BenchRow[]): string {
  const cells = [COLUMNS.map(([, h]) => h), ...rows.map((r) => COLUMNS.map(([k]) => (r[k] === null ? "-" : String(r[k]))))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  return cells.map((c) => c.map((v, i) => v.padStart(widths[i])).join("  ")).join("\n");
}

async function main() {
  const json = process.argv.includes("--json");
  const reps = Number(arg("--reps") ?? 15);
  const refReps = Number(arg("--ref-reps") ?? 3);
  const attributes = (arg("--attributes") ?? "2,3,5,8,10").split(",").map(Number);
  const cpuClock = arg("--clock") === "cpu";
  const clock = cpuClock
    ? () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      }
    : undefined;
  const result = await runAbeBenchmark({
    attributes,
    repetitions: reps,
    referenceRepetitions: refReps,
    clock,
    onProgress: json ? undefined : (p) => process.stderr.write(`  [${p.done}/${p.total}] ${p.label}\n`),
  });
  const out = {
    machine: {
      ...machine(),
      backend: result.backend,
      clock: cpuClock ? "process CPU time" : "wall",
      load_average: os.loadavg().map((x) => Math.round(x * 100) / 100),
      repetitions: reps,
      reference_repetitions: refReps,
    },
    rows: result.rows,
  };
  if (json) {
    process.stdout.write(JSON.stringify(out) + "\n");
    return;
  }
  console.log(`ABE-OD benchmark, ${out.machine.cpu} (${out.machine.cores} cores), Node ${out.machine.node}, backend ${result.backend}`);
  console.log(
    `medians of ${reps} runs (reference path: ${refReps}), ${out.machine.clock} clock, load average ${out.machine.load_average.join(" ")}; AND policies over N attributes; times in ms\n`,
  );
  console.log(table(result.rows));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
