"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm-button";
import { Field, TextInput } from "@/components/ui/field";
import { deleteRunAction } from "@/lib/actions/clustering/delete-run";
import { describeRunAction } from "@/lib/actions/clustering/describe-run";
import { RUN_TEXT_LIMITS } from "@/lib/validation/clustering";
import { reach } from "@/lib/actions/reach";

/**
 * A run's name and note, editable by the admin (stored and audited at the CSP), and deleting
 * the run after a confirmation; a queued or running run must be cancelled first.
 */
export function RunMeta({
  runId,
  name,
  note,
  title,
  active,
  extensions,
}: {
  runId: string;
  name: string;
  note: string;
  title: string;
  active: boolean;
  extensions: number;
}) {
  const router = useRouter();
  const [error, setError] = useState<{ name?: string[]; note?: string[]; message?: string }>({});
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  return (
    <section aria-labelledby="run-meta-heading" className="mb-6 rounded-lg border border-slate-200 bg-white p-4" data-testid="run-meta">
      <h2 id="run-meta-heading" className="mb-3 text-sm font-semibold">
        Name and note
      </h2>
      <form
        aria-label="Name and note of the run"
        className="space-y-3"
        onSubmit={async (e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          setBusy(true);
          setSaved(false);
          const r = await reach(describeRunAction)({ runId, name: String(form.get("name") ?? ""), note: String(form.get("note") ?? "") });
          setBusy(false);
          if (!r.ok) return setError(r.error.fieldErrors ? { name: r.error.fieldErrors.name, note: r.error.fieldErrors.note } : { message: r.error.message });
          setError({});
          setSaved(true);
          router.refresh();
        }}
      >
        <Field id="run-name" label="Name" hint="Researchers see runs by this name (otherwise by their date)." error={error.name}>
          <TextInput
            id="run-name"
            name="name"
            defaultValue={name}
            maxLength={RUN_TEXT_LIMITS.name}
            invalid={Boolean(error.name)}
            onChange={() => setSaved(false)}
          />
        </Field>
        <Field id="run-note" label="Note" error={error.note}>
          <textarea
            id="run-note"
            name="note"
            defaultValue={note}
            maxLength={RUN_TEXT_LIMITS.note}
            rows={3}
            onChange={() => setSaved(false)}
            className="block w-full rounded-md border border-slate-300 p-2 text-sm"
          />
        </Field>
        {error.message && <Alert tone="error">{error.message}</Alert>}
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" disabled={busy}>
            {busy ? "Saving…" : "Save name and note"}
          </Button>
          {saved && (
            <span role="status" className="text-sm text-emerald-700">
              Saved.
            </span>
          )}
          <span className="ml-auto">
            {active ? (
              <span className="text-xs text-slate-500">Cancel the run to delete it.</span>
            ) : (
              <ConfirmButton
                triggerLabel={`Delete run ${title}`}
                title={`Delete the run “${title}”?`}
                body={
                  extensions > 0
                    ? "Later runs extend this one; the cloud refuses to delete it until they are deleted."
                    : "Its clusters disappear from the research page and its labels, centers and seed are deleted. The uploads it clustered stay. This cannot be undone."
                }
                confirmLabel="Delete run"
                onConfirm={async () => {
                  const r = await reach(deleteRunAction)({ runId });
                  if (!r.ok) return r.error.message;
                  router.push("/admin/clustering?deleted=1");
                  return null;
                }}
              >
                Delete run…
              </ConfirmButton>
            )}
          </span>
        </div>
      </form>
    </section>
  );
}
