"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { deletePending } from "@/lib/uploads/pending-store";

/**
 * Discards an unfinished upload after a confirmation: the cloud deletes it and its chunks
 * (DELETE /api/uploads/[id], audited), and this browser drops its encrypted package.
 */
export function DiscardUpload({ id, label }: { id: string; label: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function discard() {
    setBusy(true);
    const res = await fetch(`/api/uploads/${id}`, { method: "DELETE" }).catch(() => null);
    setBusy(false);
    if (!res || (!res.ok && res.status !== 404)) {
      const body = await res?.json().catch(() => null);
      return setError(body?.error?.message ?? "The cloud could not discard the upload. Try again.");
    }
    await deletePending(id).catch(() => undefined); // this browser's encrypted package, if any
    dialog.current?.close();
    router.refresh();
  }
  return (
    <>
      <Button
        type="button"
        variant="secondary"
        className="px-2 py-1 text-xs"
        aria-label={`Discard ${label}`}
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
      >
        Discard…
      </Button>
      <dialog ref={dialog} aria-labelledby={`discard-${id}-title`} className="m-auto w-full max-w-md rounded-lg p-6 shadow-xl backdrop:bg-slate-900/40">
        <h2 id={`discard-${id}-title`} className="mb-2 text-lg font-semibold">
          Discard the unfinished upload “{label}”?
        </h2>
        <p className="mb-4 text-sm text-slate-600">The chunks the cloud received so far are deleted. To upload these records later, encrypt the file again.</p>
        {error && (
          <p role="alert" className="mb-2 text-xs text-red-700">
            {error}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <Button type="button" variant="secondary" onClick={() => dialog.current?.close()}>
            Keep it
          </Button>
          <Button type="button" variant="danger" disabled={busy} onClick={discard}>
            {busy ? "Discarding…" : "Discard upload"}
          </Button>
        </div>
      </dialog>
    </>
  );
}
