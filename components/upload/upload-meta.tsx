"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm-button";
import { deleteUploadAction } from "@/lib/actions/uploads/delete-upload";
import { describeUploadAction } from "@/lib/actions/uploads/describe-upload";
import { UPLOAD_NOTE_MAX } from "@/lib/validation/notes";
import { reach } from "@/lib/actions/reach";

/**
 * A stored upload's note (the organisation's own words, kept at the cloud and audited) and
 * deleting the upload after a confirmation: the cloud deletes its ciphertexts.
 */
export function UploadMeta({ id, label, note }: { id: string; label: string; note: string }) {
  const router = useRouter();
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="mt-1 space-y-1" data-testid={`upload-meta-${label}`}>
      {editing ? (
        <form
          aria-label={`Edit the note on ${label}`}
          className="space-y-1"
          onSubmit={async (e) => {
            e.preventDefault();
            setBusy(true);
            const r = await reach(describeUploadAction)({ uploadId: id, note: String(new FormData(e.currentTarget).get("note") ?? "") });
            setBusy(false);
            if (!r.ok) return setError(r.error.fieldErrors?.note?.[0] ?? r.error.message);
            setError(null);
            setEditing(false);
            router.refresh();
          }}
        >
          <label htmlFor={`note-${id}`} className="sr-only">
            Note on {label}
          </label>
          <textarea
            id={`note-${id}`}
            name="note"
            defaultValue={note}
            maxLength={UPLOAD_NOTE_MAX}
            rows={2}
            className="block w-full min-w-48 rounded border border-slate-300 p-1 text-xs"
            autoFocus
          />
          {error && (
            <p role="alert" className="text-xs text-red-700">
              {error}
            </p>
          )}
          <div className="flex gap-2">
            <Button type="submit" className="px-2 py-1 text-xs" disabled={busy}>
              {busy ? "Saving…" : "Save note"}
            </Button>
            <Button
              type="button"
              variant="secondary"
              className="px-2 py-1 text-xs"
              onClick={() => {
                setEditing(false);
                setError(null);
              }}
            >
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <div className="flex flex-wrap items-center gap-2">
          {note && (
            <p className="text-xs text-slate-600" data-testid={`upload-note-${label}`}>
              {note}
            </p>
          )}
          <Button
            type="button"
            variant="secondary"
            className="px-2 py-1 text-xs"
            aria-label={`${note ? "Edit note on" : "Add note to"} ${label}`}
            onClick={() => setEditing(true)}
          >
            {note ? "Edit note" : "Add note"}
          </Button>
          <ConfirmButton
            className="px-2 py-1 text-xs"
            triggerLabel={`Delete ${label}`}
            title={`Delete the upload “${label}”?`}
            body="The cloud deletes its encrypted records and clustering tensors; clusters of finished runs no longer include its records, and no one can request it again. Your source file is not touched. This cannot be undone."
            confirmLabel="Delete upload"
            onConfirm={async () => {
              const r = await reach(deleteUploadAction)({ uploadId: id });
              if (!r.ok) return r.error.message;
              router.refresh();
              return null;
            }}
          >
            Delete…
          </ConfirmButton>
        </div>
      )}
    </div>
  );
}
