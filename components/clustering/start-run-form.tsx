"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { startRunAction } from "@/lib/actions/clustering/start-run";

export type ClusterableUpload = { id: string; label: string; organisation: string; records: number; features: number };

export function StartRunForm({ uploads }: { uploads: ClusterableUpload[] }) {
  const router = useRouter();
  const [chosen, setChosen] = useState<string[]>(uploads.map((u) => u.id));
  const [k, setK] = useState(2);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (uploads.length === 0) return <p className="text-sm text-slate-600">No upload has encrypted feature tensors yet. Hospitals send them with each upload.</p>;
  return (
    <form
      className="space-y-3"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        const r = await startRunAction({ uploadIds: chosen, k });
        setBusy(false);
        if (!r.ok) return setError(r.error.message);
        router.push(`/admin/clustering/${r.data.runId}`);
      }}
    >
      <fieldset>
        <legend className="text-sm font-medium">Uploads to cluster together</legend>
        <ul className="mt-1 space-y-1 text-sm">
          {uploads.map((u) => (
            <li key={u.id}>
              <label className="flex items-center gap-2">
                <input type="checkbox" checked={chosen.includes(u.id)} onChange={(e) => setChosen(e.target.checked ? [...chosen, u.id] : chosen.filter((x) => x !== u.id))} />
                {u.label} <span className="text-xs text-slate-500">({u.records.toLocaleString()} records × {u.features} features, {u.organisation})</span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>
      <label className="flex items-center gap-2 text-sm">
        Number of clusters (k)
        <input type="number" min={2} max={12} value={k} onChange={(e) => setK(Number(e.target.value))} className="w-20 rounded border border-slate-300 px-2 py-1" />
      </label>
      <p className="text-xs text-slate-500">All chosen uploads must have the same feature columns. The cloud computes on ciphertexts; the authority, as key holder, sees only distances and aggregate sums.</p>
      {error && <Alert tone="error">{error}</Alert>}
      <Button type="submit" disabled={busy || chosen.length === 0}>{busy ? "Starting…" : "Start clustering run"}</Button>
    </form>
  );
}
