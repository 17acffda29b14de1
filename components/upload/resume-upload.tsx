"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { Progress } from "@/components/ui/progress";
import { finishUpload, sendFeatures, UploadError } from "@/lib/uploads/client";
import { deletePending, keepFeaturesOnly, loadPending, prunePending } from "@/lib/uploads/pending-store";
import { useLeaveWarning } from "./use-leave-warning";

type State =
  | { name: "checking" }
  | { name: "absent" }
  | { name: "ready" }
  | { name: "sending"; sent: number; total: number; note: string }
  | { name: "done"; message: string }
  | { name: "failed"; message: string };

/**
 * Resumes an unfinished upload from the encrypted package this browser kept when it started
 * it: sends only the chunks the cloud lacks, completes, then sends the clustering tensors.
 */
export function ResumeUpload({ id, label }: { id: string; label: string }) {
  const router = useRouter();
  const [state, setState] = useState<State>({ name: "checking" });
  useLeaveWarning(state.name === "sending");

  useEffect(() => {
    let live = true;
    loadPending(id)
      .then((p) => live && setState(p ? { name: "ready" } : { name: "absent" }))
      .catch(() => live && setState({ name: "absent" }));
    return () => {
      live = false;
    };
  }, [id]);

  async function resume() {
    const pending = await loadPending(id);
    if (!pending) return setState({ name: "absent" });
    const total = pending.chunks.length;
    setState({ name: "sending", sent: 0, total, note: "Sending the missing chunks…" });
    try {
      const done = await finishUpload(id, pending.chunks, (sent) => setState({ name: "sending", sent, total, note: "Sending the missing chunks…" }));
      const features = await sendFeatures(id, pending.features, pending.featuresNote, (sent, all) =>
        setState({ name: "sending", sent, total: all, note: "Sending the encrypted clustering tensors…" }),
      );
      if (features.failed) await keepFeaturesOnly(pending);
      else await deletePending(id);
      setState({ name: "done", message: `${done.stored.toLocaleString()} records stored and verified. ${features.note}` });
      router.refresh();
    } catch (error) {
      setState({ name: "failed", message: error instanceof UploadError || error instanceof Error ? error.message : "The upload could not be resumed." });
    }
  }

  if (state.name === "checking") return null;
  if (state.name === "absent")
    return (
      <span className="text-slate-600" data-testid={`resume-absent-${label}`}>
        This upload can only be resumed from the browser that started it; discard it and upload again.
      </span>
    );
  return (
    <span className="flex min-w-48 flex-col gap-1" aria-live="polite">
      {(state.name === "ready" || state.name === "failed") && (
        <Button type="button" className="px-2 py-1 text-xs" aria-label={`Resume ${label}`} onClick={() => void resume()}>
          {state.name === "failed" ? "Try resuming again" : "Resume"}
        </Button>
      )}
      {state.name === "sending" && (
        <>
          <span>{state.note}</span>
          <Progress label={`Resuming ${label}`} value={state.sent} max={state.total} testId={`resume-progress-${label}`} />
        </>
      )}
      {state.name === "done" && <span role="status">{state.message}</span>}
      {state.name === "failed" && (
        <span role="alert" className="text-red-700">
          {state.message}
        </span>
      )}
    </span>
  );
}

/**
 * A stored upload whose clustering tensors are missing: sends them again from the encrypted
 * tensors this browser kept when sending them failed; otherwise says what can be done.
 */
export function RetryFeatures({ id, label, incomplete }: { id: string; label: string; incomplete: boolean }) {
  const router = useRouter();
  const [state, setState] = useState<State>({ name: "checking" });
  useLeaveWarning(state.name === "sending");

  useEffect(() => {
    let live = true;
    loadPending(id)
      .then((p) => live && setState(p?.features ? { name: "ready" } : { name: "absent" }))
      .catch(() => live && setState({ name: "absent" }));
    return () => {
      live = false;
    };
  }, [id]);

  async function retry() {
    const pending = await loadPending(id);
    if (!pending?.features) return setState({ name: "absent" });
    setState({ name: "sending", sent: 0, total: 1, note: "Sending the encrypted clustering tensors…" });
    const result = await sendFeatures(id, pending.features, pending.featuresNote, (sent, total) =>
      setState({ name: "sending", sent, total, note: "Sending the encrypted clustering tensors…" }),
    );
    if (result.failed) return setState({ name: "failed", message: result.note });
    await deletePending(id);
    setState({ name: "done", message: "Clustering data stored: these records can now be clustered." });
    router.refresh();
  }

  if (state.name === "checking") return null;
  if (state.name === "absent")
    return (
      <span className="text-slate-600" data-testid={`features-absent-${label}`}>
        {incomplete
          ? "This browser holds no encrypted clustering data of it: retry from the browser that uploaded it, or upload the file again to cluster these records."
          : "If the file has at least two numeric fields, upload it again to cluster these records."}
      </span>
    );
  return (
    <span className="flex min-w-48 flex-col gap-1" aria-live="polite">
      {(state.name === "ready" || state.name === "failed") && (
        <Button type="button" className="px-2 py-1 text-xs" aria-label={`Retry sending the clustering data of ${label}`} onClick={() => void retry()}>
          {state.name === "failed" ? "Try again" : "Retry sending clustering data"}
        </Button>
      )}
      {state.name === "sending" && (
        <>
          <span>{state.note}</span>
          <Progress label={`Clustering data of ${label}`} value={state.sent} max={state.total} testId={`features-progress-${label}`} />
        </>
      )}
      {state.name === "done" && <span role="status">{state.message}</span>}
      {state.name === "failed" && (
        <span role="alert" className="text-red-700">
          {state.message}
        </span>
      )}
    </span>
  );
}

/** Drops this browser's packages of uploads the cloud no longer waits for (stored, discarded, expired). */
export function PrunePendingUploads({
  organisationId,
  uploads,
}: {
  organisationId: string;
  uploads: { id: string; status: string; expiresAt: string | null; clusteringStored: boolean }[];
}) {
  const key = JSON.stringify(uploads);
  useEffect(() => {
    void prunePending(organisationId, JSON.parse(key)).catch(() => undefined);
  }, [organisationId, key]);
  return null;
}
