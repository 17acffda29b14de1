"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { notify } from "@/components/ui/notices";
import { Progress } from "@/components/ui/progress";
import { cancelRunAction } from "@/lib/actions/clustering/cancel-run";
import { reach } from "@/lib/actions/reach";

/** Keeps a page with unfinished runs fresh (every 2 s) and offers cancel with confirmation. */
export function RunLive({
  runId,
  status,
  progress,
  iteration,
  cancelRequested,
}: {
  runId: string;
  status: string;
  progress: number;
  iteration: number;
  cancelRequested: boolean;
}) {
  const router = useRouter();
  const [asking, setAsking] = useState(false);
  const active = status === "QUEUED" || status === "RUNNING";
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => router.refresh(), 2000);
    return () => clearInterval(t);
  }, [active, router]);
  if (!active) return null;
  return (
    <div className="space-y-2" data-testid={`run-live-${runId}`}>
      <Progress label={status === "QUEUED" ? "Queued" : `Iteration ${iteration}`} value={status === "QUEUED" ? null : progress} testId="run-progress" />
      <Button variant="secondary" disabled={cancelRequested} onClick={() => setAsking(true)}>
        {cancelRequested ? "Cancelling…" : "Cancel run"}
      </Button>
      <ConfirmDialog
        open={asking}
        title="Cancel this clustering run?"
        confirmLabel="Cancel run"
        cancelLabel="Keep running"
        onClose={() => setAsking(false)}
        onConfirm={async () => {
          const r = await reach(cancelRunAction)({ runId });
          if (!r.ok) return r.error.message;
          notify("Cancelling the run: its partial results are discarded.");
          router.refresh();
          return null;
        }}
      >
        Its partial results are discarded. This cannot be undone.
      </ConfirmDialog>
    </div>
  );
}
