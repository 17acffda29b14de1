"use client";

import { useId, useRef, useState, type ReactNode } from "react";
import { Button } from "./button";

/**
 * A button that asks in the app's own modal dialog before a destructive step. `onConfirm`
 * returns an error message to show in the dialog, or null when done (the dialog closes).
 */
export function ConfirmButton({
  children,
  triggerLabel,
  title,
  body,
  confirmLabel,
  cancelLabel = "Keep it",
  onConfirm,
  className = "",
}: {
  children: ReactNode;
  triggerLabel: string;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  onConfirm: () => Promise<string | null>;
  className?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <>
      <Button type="button" variant="secondary" className={className} aria-label={triggerLabel} onClick={() => { setError(null); dialog.current?.showModal(); }}>
        {children}
      </Button>
      <dialog ref={dialog} aria-labelledby={`${id}-title`} className="m-auto w-[calc(100%-2rem)] max-w-md rounded-lg p-6 shadow-xl backdrop:bg-slate-900/40">
        <h2 id={`${id}-title`} className="mb-2 text-lg font-semibold">{title}</h2>
        <div className="mb-4 text-sm text-slate-600">{body}</div>
        {error && <p role="alert" className="mb-2 text-sm text-red-700">{error}</p>}
        <div className="flex flex-wrap justify-end gap-2">
          <Button type="button" variant="secondary" onClick={() => dialog.current?.close()}>{cancelLabel}</Button>
          <Button
            type="button"
            variant="danger"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              const message = await onConfirm().catch((e: Error) => e.message || "That did not work. Try again.");
              setBusy(false);
              setError(message);
              if (!message) dialog.current?.close();
            }}
          >
            {busy ? "Working…" : confirmLabel}
          </Button>
        </div>
      </dialog>
    </>
  );
}
