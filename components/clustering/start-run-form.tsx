"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { startRunAction } from "@/lib/actions/clustering/start-run";
import { columnMismatch, compatibleDefault, RUN_TEXT_LIMITS } from "@/lib/validation/clustering";
import { reach } from "@/lib/actions/reach";

export type ClusterableUpload = { id: string; label: string; organisation: string; records: number; features: number; columns: string[]; blind: boolean };
/** A finished run whose centers' mass is stored: it can be extended with new uploads. */
export type ExtendableRun = { id: string; label: string; k: number; n: number; uploadIds: string[]; columns: string[] };

const sameColumns = (a: string[], b: string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/**
 * Starts a clustering run: a new run over the chosen uploads, or an extension of a finished run
 * with uploads it does not cover yet (incremental HoPCM: only the new uploads are read; the
 * run starts from the finished run's centers, weighted by their mass).
 */
export function StartRunForm({ uploads, runs, extend }: { uploads: ClusterableUpload[]; runs: ExtendableRun[]; extend?: string }) {
  const router = useRouter();
  const initialBase = runs.find((r) => r.id === extend) ?? null;
  const [mode, setMode] = useState<"new" | "extend">(initialBase ? "extend" : "new");
  const [baseId, setBaseId] = useState<string>(initialBase?.id ?? runs[0]?.id ?? "");
  const base = mode === "extend" ? (runs.find((r) => r.id === baseId) ?? null) : null;
  const candidates = base ? uploads.filter((u) => !u.blind && !base.uploadIds.includes(u.id) && sameColumns(u.columns, base.columns)) : uploads;
  // Pre-checked: only uploads that can be clustered together (the largest group with the same columns; blind uploads are never pre-checked).
  const [chosen, setChosen] = useState<string[]>(initialBase ? [] : compatibleDefault(uploads.filter((u) => !u.blind)));
  const picked = chosen.filter((id) => candidates.some((u) => u.id === id));
  const pickedBlind = uploads.filter((u) => u.blind && picked.includes(u.id));
  const mismatch =
    pickedBlind.length > 0 && pickedBlind.length < picked.length
      ? `${pickedBlind.map((u) => u.label).join(", ")} ${pickedBlind.length > 1 ? "are" : "is"} prepared for blind clustering: cluster blind uploads with each other only.`
      : base
        ? null
        : columnMismatch(uploads.filter((u) => picked.includes(u.id)));
  const [k, setK] = useState(2);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (uploads.length === 0) return <p className="text-sm text-slate-600">No upload has encrypted feature tensors yet. Hospitals send them with each upload.</p>;
  return (
    <form
      className="space-y-3"
      aria-label="Start a clustering run"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        if (mismatch) return setError(mismatch);
        setBusy(true);
        const form = new FormData(e.currentTarget);
        const text = { name: String(form.get("run-name") ?? ""), note: String(form.get("run-note") ?? "") };
        const r = await reach(startRunAction)(base ? { uploadIds: picked, baseRunId: base.id, ...text } : { uploadIds: picked, k, ...text });
        setBusy(false);
        if (!r.ok) return setError(r.error.message);
        router.push(`/admin/clustering/${r.data.runId}`);
      }}
    >
      <fieldset className="space-y-1 text-sm">
        <legend className="font-medium">What to run</legend>
        <label className="flex items-center gap-2">
          <input type="radio" name="mode" value="new" checked={mode === "new"} onChange={() => setMode("new")} />A new run over the chosen uploads
        </label>
        <label className="flex items-center gap-2">
          <input type="radio" name="mode" value="extend" checked={mode === "extend"} disabled={runs.length === 0} onChange={() => setMode("extend")} />
          Add new uploads to a finished run
        </label>
        {runs.length === 0 && <p className="text-xs text-slate-500">No finished run to extend yet.</p>}
      </fieldset>
      {base && (
        <label className="block text-sm">
          <span className="font-medium">Run to extend</span>
          <select className="mt-1 block w-full rounded border border-slate-300 px-2 py-1 text-sm" value={baseId} onChange={(e) => setBaseId(e.target.value)}>
            {runs.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
          <span className="mt-1 block text-xs text-slate-500">
            Only the added uploads are read. The run starts from this run&apos;s {base.k} centers, each weighted by the records it already holds, so clusters
            keep their numbers; the {base.n.toLocaleString()} records already clustered keep their labels.
          </span>
        </label>
      )}
      <fieldset>
        <legend className="text-sm font-medium">{base ? "Uploads to add" : "Uploads to cluster together"}</legend>
        {candidates.length === 0 ? (
          <p className="mt-1 text-sm text-slate-600">
            {base
              ? "Every upload with the same feature columns is already in this run. New uploads appear here once hospitals send their encrypted features."
              : "No upload to choose."}
          </p>
        ) : (
          <ul className="mt-1 space-y-1 text-sm">
            {candidates.map((u) => (
              <li key={u.id}>
                <label className="flex items-center gap-2">
                  <input
                    type="checkbox"
                    checked={chosen.includes(u.id)}
                    onChange={(e) => setChosen(e.target.checked ? [...chosen, u.id] : chosen.filter((x) => x !== u.id))}
                  />
                  {u.label}{" "}
                  <span className="text-xs text-slate-500">
                    ({u.records.toLocaleString()} records × {u.features} features, {u.organisation})
                  </span>
                  {u.blind && (
                    <span
                      className="rounded bg-indigo-50 px-1.5 text-xs text-indigo-800"
                      title="The key holder sees per-cluster totals only; clustered with other blind uploads only, labels only"
                    >
                      blind
                    </span>
                  )}
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      <label className="flex items-center gap-2 text-sm">
        Number of clusters (k)
        <input
          type="number"
          min={2}
          max={12}
          value={base ? base.k : k}
          disabled={Boolean(base)}
          onChange={(e) => setK(Number(e.target.value))}
          className="w-20 rounded border border-slate-300 px-2 py-1 disabled:bg-slate-100"
        />
        {base && <span className="text-xs text-slate-500">(kept from the run)</span>}
      </label>
      <label className="block text-sm">
        <span className="font-medium">Name of the run</span> <span className="text-xs text-slate-500">(optional; researchers see runs by it)</span>
        <input
          name="run-name"
          maxLength={RUN_TEXT_LIMITS.name}
          className="mt-1 block w-full rounded border border-slate-300 px-2 py-1 text-sm"
          placeholder="e.g. Breast aspirates, spring cohort"
        />
      </label>
      <label className="block text-sm">
        <span className="font-medium">Note</span> <span className="text-xs text-slate-500">(optional)</span>
        <textarea name="run-note" maxLength={RUN_TEXT_LIMITS.note} rows={2} className="mt-1 block w-full rounded border border-slate-300 px-2 py-1 text-sm" />
      </label>
      {mismatch && !error && (
        <p className="text-xs text-amber-800" data-testid="columns-mismatch">
          {mismatch}
        </p>
      )}
      <p className="text-xs text-slate-500">
        All chosen uploads must have the same feature columns. The cloud computes on ciphertexts; the authority, as key holder, sees distances and aggregate
        sums, or, for an upload marked blind, per-cluster totals only.
      </p>
      {error && <Alert tone="error">{error}</Alert>}
      <Button type="submit" disabled={busy || picked.length === 0}>
        {busy ? "Starting…" : base ? "Add to run" : "Start clustering run"}
      </Button>
    </form>
  );
}
