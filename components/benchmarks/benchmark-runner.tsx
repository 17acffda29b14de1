"use client";

import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { BenchResult, BenchRow } from "@/lib/abe/bench";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { formatDateTime } from "@/lib/format/date";
import { Card } from "@/components/ui/page-header";
import { Progress } from "@/components/ui/progress";
import type { BenchJob, BenchMessage } from "./bench.worker";
import { formatMs, type PaperPoint } from "./format";
import { OverheadChart } from "./overhead-chart";
import { ResultsTable } from "./results-table";

const PRESETS = {
  quick: { label: "Quick: median of 3 runs", repetitions: 3, referenceRepetitions: 1 },
  standard: { label: "Standard: median of 7 runs", repetitions: 7, referenceRepetitions: 3 },
  accurate: { label: "Accurate: median of 15 runs (as npm run bench:abe)", repetitions: 15, referenceRepetitions: 3 },
} as const;
type PresetKey = keyof typeof PRESETS;
const DEFAULT_PRESET: PresetKey = "standard";

type RunState = {
  phase: "idle" | "running" | "done" | "stopped" | "error";
  rows: BenchRow[];
  progress: { done: number; total: number; attributes: number | null; warmUp: boolean; step: string };
  backend: BenchResult["backend"] | null;
  finishedAt: Date | null;
  seconds: number | null;
  error: string | null;
};

const idle = (): RunState => ({ ...starting(), phase: "idle", progress: { done: 0, total: 1, attributes: null, warmUp: false, step: "" } });

const starting = (): RunState => ({
  phase: "running",
  rows: [],
  progress: { done: 0, total: 1, attributes: null, warmUp: false, step: "Loading the benchmark into a Web Worker" },
  backend: null,
  finishedAt: null,
  seconds: null,
  error: null,
});

function reduce(s: RunState, m: BenchMessage): RunState {
  switch (m.type) {
    case "progress":
      return { ...s, progress: { done: m.done, total: m.total, attributes: m.attributes, warmUp: m.warmUp, step: m.step } };
    case "row":
      return { ...s, backend: m.backend, rows: [...s.rows.filter((r) => r.attributes !== m.row.attributes), m.row] };
    case "done":
      return { ...s, phase: "done", backend: m.backend, finishedAt: new Date(), seconds: m.ms / 1000, progress: { ...s.progress, done: s.progress.total } };
    case "error":
      return { ...s, phase: "error", error: m.message };
  }
}

type Machine = { userAgent: string; cores: number | null; memoryGb: number | null };
let machineSnapshot: Machine | null = null;
const readMachine = (): Machine =>
  (machineSnapshot ??= {
    userAgent: navigator.userAgent,
    cores: navigator.hardwareConcurrency || null,
    // Chromium only, and deliberately coarse (rounded by the browser).
    memoryGb: (navigator as Navigator & { deviceMemory?: number }).deviceMemory ?? null,
  });
const noSubscription = () => () => {};

function progressLabel(p: RunState["progress"]): string {
  if (p.attributes === null) return `${p.step}…`;
  return p.warmUp ? `Warming up (discarded run at N = ${p.attributes}): ${p.step}…` : `Measuring N = ${p.attributes}: ${p.step}…`;
}

/**
 * The live benchmark: starts when the visitor asks (it keeps a core busy for minutes), in a
 * Web Worker, and draws and tabulates what it measures.
 */
export function BenchmarkRunner({ paper }: { paper: PaperPoint[] }) {
  const [preset, setPreset] = useState<PresetKey>(DEFAULT_PRESET);
  const [run, setRun] = useState<{ id: number; preset: PresetKey }>({ id: 0, preset: DEFAULT_PRESET });
  const [state, setState] = useState<RunState>(idle);
  const [showReference, setShowReference] = useState(false);
  const worker = useRef<Worker | null>(null);
  const machine = useSyncExternalStore(noSubscription, readMachine, () => null);
  const attributes = paper.map((p) => p.attributes).join(",");

  useEffect(() => {
    if (run.id === 0) return; // nothing runs before the first click
    const w = new Worker(new URL("./bench.worker.ts", import.meta.url), { type: "module" });
    worker.current = w;
    // A worker stopped (or replaced) while its scripts load may still report the aborted load: ignore it.
    const current = () => worker.current === w;
    w.onmessage = (e: MessageEvent<BenchMessage>) => current() && setState((s) => reduce(s, e.data));
    w.onerror = (e) => current() && setState((s) => reduce(s, { type: "error", message: e.message || "The benchmark worker failed to start." }));
    const { repetitions, referenceRepetitions } = PRESETS[run.preset];
    const job: BenchJob = { attributes: attributes.split(",").map(Number), repetitions, referenceRepetitions };
    w.postMessage(job);
    return () => {
      w.terminate();
      worker.current = null;
    };
  }, [run, attributes]);

  const running = state.phase === "running";
  const rows = [...state.rows].sort((a, b) => a.attributes - b.attributes);
  const last = rows.at(-1);
  const lastPaper = paper.find((p) => p.attributes === last?.attributes);

  function runAgain() {
    setState(starting());
    setRun((r) => ({ id: r.id + 1, preset }));
  }

  function stop() {
    worker.current?.terminate();
    worker.current = null;
    setState((s) => ({ ...s, phase: "stopped" }));
  }

  return (
    <div className="space-y-6">
      <Card>
        <div className="flex flex-wrap items-end gap-4">
          <div className="min-w-0 max-w-full space-y-1">
            <label htmlFor="bench-preset" className="block text-sm font-medium text-slate-800">
              Repetitions
            </label>
            <select
              id="bench-preset"
              value={preset}
              onChange={(e) => setPreset(e.target.value as PresetKey)}
              className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm"
            >
              {Object.entries(PRESETS).map(([key, p]) => (
                <option key={key} value={key}>
                  {p.label}
                </option>
              ))}
            </select>
          </div>
          {running ? (
            <Button variant="secondary" onClick={stop}>
              Stop
            </Button>
          ) : (
            <Button onClick={runAgain}>{state.phase === "idle" ? "Start the benchmark" : "Run again"}</Button>
          )}
          <label className="flex items-center gap-2 pb-2 text-sm text-slate-700">
            <input type="checkbox" checked={showReference} onChange={(e) => setShowReference(e.target.checked)} className="size-4 accent-brand-600" />
            Also draw the reference path
          </label>
        </div>

        <div className="mt-4" aria-live="polite">
          {running && <Progress testId="bench-progress" label={progressLabel(state.progress)} value={state.progress.done} max={state.progress.total} />}
          {state.phase === "done" && (
            <p role="status" className="text-sm text-slate-700" data-testid="bench-status">
              Finished in {state.seconds?.toFixed(1)} s on the <strong>{state.backend}</strong> arithmetic backend ({PRESETS[run.preset].label.toLowerCase()}).
            </p>
          )}
          {state.phase === "stopped" && (
            <p role="status" className="text-sm text-slate-700" data-testid="bench-status">
              Stopped after {rows.length} of {paper.length} attribute counts.
            </p>
          )}
          {state.phase === "idle" && (
            <p className="text-sm text-slate-700" data-testid="bench-status">
              Not started. The benchmark keeps one core of this device busy for a few minutes; the paper&apos;s series is shown until then.
            </p>
          )}
          {state.phase === "error" && (
            <Alert tone="error" title="The benchmark failed">
              {state.error}
            </Alert>
          )}
        </div>
      </Card>

      <Card>
        <figure aria-labelledby="bench-chart-caption">
          <figcaption id="bench-chart-caption" className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
            <span className="font-semibold text-slate-900">Encryption + decryption against the number of attributes</span>
            {running && (
              <span className="text-xs text-slate-500" data-testid="measuring-note">
                {rows.length === 0
                  ? "measuring… the paper's series is shown alone until the first result"
                  : `measuring… ${rows.length} of ${paper.length} points`}
              </span>
            )}
          </figcaption>
          <div className="h-96 w-full" data-testid="bench-chart">
            <OverheadChart paper={paper} rows={rows} showReference={showReference} />
          </div>
        </figure>
        {state.phase === "done" && last && lastPaper && (
          <p className="mt-3 text-sm text-slate-700" data-testid="bench-summary">
            At N = {last.attributes}, encryption plus the user&apos;s decryption step took <strong>{formatMs(last.enc_plus_user_dec_ms)} ms</strong> in this
            browser, against {lastPaper.ms.toFixed(1)} ms in the paper; the reference path took {formatMs(last.reference_enc_plus_dec_ms)} ms (
            {last.speedup.toFixed(1)}× slower).
          </p>
        )}
      </Card>

      <section aria-labelledby="bench-table-title" className="space-y-2">
        <h2 id="bench-table-title" className="font-semibold text-slate-900">
          Median times (ms)
        </h2>
        <ResultsTable paper={paper} rows={rows} running={running} />
      </section>

      <Card>
        <h2 className="mb-3 font-semibold text-slate-900">This machine</h2>
        <dl className="grid grid-cols-1 gap-x-6 gap-y-2 text-sm sm:grid-cols-[max-content_1fr]" data-testid="bench-machine">
          <dt className="text-slate-500">Browser</dt>
          <dd className="break-all font-mono text-xs leading-5">{machine?.userAgent ?? "…"}</dd>
          <dt className="text-slate-500">Logical cores</dt>
          <dd>{machine ? (machine.cores ?? "not reported") : "…"}</dd>
          <dt className="text-slate-500">Device memory</dt>
          <dd>{machine ? (machine.memoryGb === null ? "not reported by this browser" : `about ${machine.memoryGb} GB`) : "…"}</dd>
          <dt className="text-slate-500">Arithmetic backend</dt>
          <dd data-testid="bench-backend">
            {state.backend === null
              ? "known once the first result arrives"
              : state.backend === "wasm"
                ? "wasm (generated BLS12-381 field arithmetic)"
                : "noble (@noble/curves in JavaScript; WebAssembly unavailable)"}
          </dd>
          <dt className="text-slate-500">Repetitions</dt>
          <dd>
            median of {PRESETS[run.preset].repetitions} runs per operation (reference path: {PRESETS[run.preset].referenceRepetitions})
          </dd>
          <dt className="text-slate-500">Measured</dt>
          <dd data-testid="bench-timestamp">
            {state.finishedAt ? <time dateTime={state.finishedAt.toISOString()}>{formatDateTime(state.finishedAt)}</time> : running ? "in progress" : "—"}
          </dd>
        </dl>
      </Card>
    </div>
  );
}
