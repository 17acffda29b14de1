/// <reference lib="webworker" />
/**
 * Runs the ABE-OD benchmark (lib/abe/bench.ts) off the main thread so the page stays
 * responsive. One run per attribute count, so each row reaches the page as soon as it is
 * measured and the chart fills in point by point.
 */
import { absSign, absVerify } from "@/lib/abe";
import { runAbeBenchmark, type AbsHooks, type BenchResult, type BenchRow } from "@/lib/abe/bench";

export type BenchJob = { attributes: number[]; repetitions: number; referenceRepetitions: number };

export type BenchMessage =
  | { type: "progress"; attributes: number; done: number; total: number; step: string }
  | { type: "row"; row: BenchRow; backend: BenchResult["backend"] }
  | { type: "done"; backend: BenchResult["backend"]; ms: number }
  | { type: "error"; message: string };

const post = (m: BenchMessage) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m);

// bench.ts reports the step it has just finished; the page says which one is running now.
const NEXT_STEP: [RegExp, string][] = [
  [/^warm-up/, "encryption, integrity check, full decryption"],
  [/encrypt, integrity, full decryption$/, "outsourced decryption (CSP partial + user final step)"],
  [/outsourced decryption$/, "reference path (plain arithmetic, no precomputation)"],
  [/reference path$/, "attribute-based signature (sign + verify)"],
];

function nextStep(finished: string): string {
  return NEXT_STEP.find(([re]) => re.test(finished))?.[1] ?? `finished ${finished.replace(/^N=\d+: /, "")}`;
}

// Attribute-based signatures (sign a request, verify it) are timed too: the ABS columns.
const abs: AbsHooks = { sign: absSign, verify: absVerify };

self.onmessage = async (event: MessageEvent<BenchJob>) => {
  const { attributes, repetitions, referenceRepetitions } = event.data;
  const started = performance.now();
  let stepsPerRun = attributes.length > 0 ? 5 : 1; // warm-up + 4 steps per N; corrected by the first report
  let backend: BenchResult["backend"] = "noble";
  try {
    for (const [i, N] of attributes.entries()) {
      post({ type: "progress", attributes: N, done: i * stepsPerRun, total: attributes.length * stepsPerRun, step: "warm-up and key setup" });
      const result = await runAbeBenchmark({
        attributes: [N],
        repetitions,
        referenceRepetitions,
        abs,
        onProgress: (p) => {
          stepsPerRun = p.total;
          if (p.done < p.total) post({ type: "progress", attributes: N, done: i * p.total + p.done, total: attributes.length * p.total, step: nextStep(p.label) });
        },
      });
      backend = result.backend;
      for (const row of result.rows) post({ type: "row", row, backend });
    }
    post({ type: "done", backend, ms: performance.now() - started });
  } catch (e) {
    post({ type: "error", message: e instanceof Error ? e.message : String(e) });
  }
};
