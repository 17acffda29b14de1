"use client";

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Button } from "./button";

/**
 * A button that opens a modal asking for confirmation and a reason before a destructive step.
 * `onConfirm` returns an error message to show, or null when done.
 */
export function ConfirmWithReason({
  trigger,
  triggerLabel,
  title,
  children,
  confirmLabel,
  onConfirm,
}: {
  trigger: ReactNode;
  triggerLabel: string;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  onConfirm: (reason: string) => Promise<string | null>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Unique per instance: a page may list several items with the same dialog.
  const id = `confirm-${useId().replace(/\W+/g, "")}`;
  return (
    <>
      <Button
        type="button"
        variant="secondary"
        aria-label={triggerLabel}
        onClick={() => {
          setError(null);
          dialog.current?.showModal();
        }}
      >
        {trigger}
      </Button>
      <dialog ref={dialog} aria-labelledby={`${id}-title`} className="m-auto w-full max-w-md rounded-lg p-6 shadow-xl backdrop:bg-slate-900/40">
        <form
          className="space-y-4"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            const message = await onConfirm(String(new FormData(e.currentTarget).get("reason") ?? ""));
            setBusy(false);
            setError(message);
            if (!message) dialog.current?.close();
          }}
        >
          <h2 id={`${id}-title`} className="text-lg font-semibold">
            {title}
          </h2>
          {children && <div className="text-sm text-slate-600">{children}</div>}
          <label htmlFor={`${id}-reason`} className="block text-sm font-medium">
            Reason
          </label>
          <textarea id={`${id}-reason`} name="reason" required minLength={3} rows={3} className="block w-full rounded-md border border-slate-300 p-2 text-sm" />
          {error && (
            <p role="alert" className="text-xs text-red-700">
              {error}
            </p>
          )}
          <div className="flex justify-end gap-2">
            <Button type="button" variant="secondary" onClick={() => dialog.current?.close()}>
              Cancel
            </Button>
            <Button type="submit" variant="danger" disabled={busy}>
              {busy ? "Working…" : confirmLabel}
            </Button>
          </div>
        </form>
      </dialog>
    </>
  );
}

/**
 * The app's own confirmation dialog (instead of the browser's `confirm`), opened by its caller:
 * `open` shows it as a modal; Cancel, Escape or a finished `onConfirm` close it.
 * `onConfirm` returns an error message to show, or null when done.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  cancelLabel = "Cancel",
  danger = true,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  children?: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  danger?: boolean;
  onConfirm: () => Promise<string | null>;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      setError(null);
      d.showModal();
    } else if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={dialog}
      onClose={onClose}
      aria-labelledby={`${id}-title`}
      className="m-auto w-[calc(100%-2rem)] max-w-md rounded-lg p-6 shadow-xl backdrop:bg-slate-900/40"
    >
      <div className="space-y-4">
        <h2 id={`${id}-title`} className="text-lg font-semibold">
          {title}
        </h2>
        {children && <div className="text-sm text-slate-600">{children}</div>}
        {error && (
          <p role="alert" className="text-xs text-red-700">
            {error}
          </p>
        )}
        <div className="flex flex-wrap justify-end gap-2">
          <Button type="button" variant="secondary" onClick={() => dialog.current?.close()}>
            {cancelLabel}
          </Button>
          <Button
            type="button"
            variant={danger ? "danger" : "primary"}
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
      </div>
    </dialog>
  );
}
