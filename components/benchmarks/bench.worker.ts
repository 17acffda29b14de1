/// <reference lib="webworker" />
/**
 * Runs the ABE-OD benchmark (lib/abe/bench.ts) off the main thread so the page stays
 * responsive. One run per attribute count, so each row reaches the page as soon as it is
 * measured and the chart fills in point by point, after one discarded warm-up run.
 */
import { runAbeBenchmark, type BenchResult, type BenchRow } from "@/lib/abe/bench";

export type BenchJob = { attributes: number[]; repetitions: number; referenceRepetitions: number };

export type BenchMessage =
  | { type: "progress"; attributes: number; warmUp: boolean; done: number; total: number; step: string }
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

self.onmessage = async (event: MessageEvent<BenchJob>) => {
  const { attributes, repetitions, referenceRepetitions } = event.data;
  const started = performance.now();
  // A first, discarded run: bench.ts warms up with one attribute, which leaves the browser's JIT
  // cold enough that the first N measured came out slower than the second.
  const runs = attributes.length > 0 ? [{ N: attributes[0], warmUp: true }, ...attributes.map((N) => ({ N, warmUp: false }))] : [];
  let stepsPerRun = 5; // warm-up + 4 steps per N; corrected by the first report
  let backend: BenchResult["backend"] = "noble";
  try {
    for (const [i, { N, warmUp }] of runs.entries()) {
      const where = (done: number, step: string) => ({
        type: "progress" as const,
        attributes: N,
        warmUp,
        done: i * stepsPerRun + done,
        total: runs.length * stepsPerRun,
        step,
      });
      post(where(0, "warm-up and key setup"));
      const result = await runAbeBenchmark({
        attributes: [N],
        repetitions,
        referenceRepetitions: warmUp ? 1 : referenceRepetitions,
        onProgress: (p) => {
          stepsPerRun = p.total;
          if (p.done < p.total) post(where(p.done, nextStep(p.label)));
        },
      });
      backend = result.backend;
      if (!warmUp) for (const row of result.rows) post({ type: "row", row, backend });
    }
    post({ type: "done", backend, ms: performance.now() - started });
  } catch (e) {
    post({ type: "error", message: e instanceof Error ? e.message : String(e) });
  }
};
