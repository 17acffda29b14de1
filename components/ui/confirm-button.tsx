"use client";

import { useState, type ReactNode } from "react";
import { Button } from "./button";
import { ConfirmDialog } from "./confirm-dialog";

/**
 * A button that asks in the app's own modal dialog (ConfirmDialog) before a destructive step.
 * `onConfirm` returns an error message to show in the dialog, or null when done (the dialog closes).
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
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button type="button" variant="secondary" className={className} aria-label={triggerLabel} onClick={() => setOpen(true)}>
        {children}
      </Button>
      <ConfirmDialog open={open} title={title} confirmLabel={confirmLabel} cancelLabel={cancelLabel} onConfirm={onConfirm} onClose={() => setOpen(false)}>
        {body}
      </ConfirmDialog>
    </>
  );
}
