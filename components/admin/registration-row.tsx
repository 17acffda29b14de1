"use client";

import { useRouter } from "next/navigation";
import { useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { notify } from "@/components/ui/notices";
import { formatDateTime } from "@/lib/format/date";
import { decideRegistrationAction } from "@/lib/actions/registration/decide";
import { reach } from "@/lib/actions/reach";

type Pending = { id: string; name: string; email: string; gid: string; role: string; organisation: string; kind: string; createdAt: string };

export type AttributeOption = { id: string; name: string; description: string };

export function RegistrationRow({ r, attributes }: { r: Pending; attributes: AttributeOption[] }) {
  const router = useRouter();
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialogOpen, setDialogOpen] = useState(false);
  const [chosen, setChosen] = useState<string[]>([]);
  const [confirmBare, setConfirmBare] = useState(false);

  async function decide(decision: "APPROVE" | "REJECT", reason?: string): Promise<string | null> {
    setBusy(true);
    setError(null);
    const result = await reach(decideRegistrationAction)(
      decision === "APPROVE" ? { userId: r.id, decision, attributeIds: chosen } : { userId: r.id, decision, reason: reason ?? "" },
    );
    setBusy(false);
    if (!result.ok) {
      const message = result.error.fieldErrors?.reason?.[0] ?? result.error.message;
      setError(message);
      return message;
    }
    dialog.current?.close();
    setDialogOpen(false);
    const names = attributes.filter((a) => chosen.includes(a.id)).map((a) => a.name);
    notify(
      decision === "REJECT"
        ? `Rejected ${r.name}'s registration. They will see your reason when they sign in.`
        : names.length
          ? `Approved ${r.name} with ${names.join(", ")}; their keys are issued.`
          : `Approved ${r.name} without attributes. Grant attributes on the People page when they need keys.`,
    );
    router.refresh();
    return null;
  }

  return (
    <tr className="border-t border-slate-200 align-top" data-testid={`registration-${r.email}`}>
      <td className="py-3 pr-4">
        <div className="font-medium">{r.name}</div>
        <div className="text-xs text-slate-500">{r.email}</div>
      </td>
      <td className="py-3 pr-4 text-sm">{r.role.replace("_", " ").toLowerCase()}</td>
      <td className="py-3 pr-4 text-sm">
        {r.organisation} <span className="text-xs text-slate-500">({r.kind.toLowerCase()})</span>
      </td>
      <td className="py-3 pr-4 font-mono text-xs">{r.gid}</td>
      <td className="py-3 pr-4 text-xs text-slate-500">{formatDateTime(r.createdAt)}</td>
      <td className="py-3">
        {attributes.length > 0 && (
          <fieldset className="mb-2">
            <legend className="text-xs font-medium text-slate-600">Attributes to grant with approval</legend>
            <div className="mt-1 flex max-w-xs flex-wrap gap-x-3 gap-y-1">
              {attributes.map((a) => (
                <label key={a.id} className="flex items-center gap-1 text-xs" title={a.description}>
                  <input
                    type="checkbox"
                    checked={chosen.includes(a.id)}
                    onChange={(e) => setChosen((c) => (e.target.checked ? [...c, a.id] : c.filter((x) => x !== a.id)))}
                  />
                  <span className="font-mono">{a.name}</span>
                </label>
              ))}
            </div>
          </fieldset>
        )}
        <div className="flex gap-2">
          <Button onClick={() => (chosen.length === 0 ? setConfirmBare(true) : void decide("APPROVE"))} disabled={busy} aria-label={`Approve ${r.name}`}>
            Approve
          </Button>
          <Button
            variant="secondary"
            onClick={() => {
              setError(null);
              setDialogOpen(true);
              dialog.current?.showModal();
            }}
            disabled={busy}
            aria-label={`Reject ${r.name}`}
          >
            Reject…
          </Button>
        </div>
        <ConfirmDialog
          open={confirmBare}
          title={`Approve ${r.name} without attributes?`}
          confirmLabel="Approve without attributes"
          danger={false}
          onClose={() => setConfirmBare(false)}
          onConfirm={() => decide("APPROVE")}
        >
          No attribute is ticked, so {r.name} gets no keys and can neither upload under a policy nor decrypt anything until you grant attributes on the People
          page. Cancel to tick attributes first.
        </ConfirmDialog>
        {error && !dialogOpen && !confirmBare && (
          <p role="alert" className="mt-2 text-xs text-red-700">
            {error}
          </p>
        )}
        <dialog
          ref={dialog}
          onClose={() => setDialogOpen(false)}
          className="m-auto w-full max-w-md rounded-lg p-6 shadow-xl backdrop:bg-slate-900/40"
          aria-labelledby={`reject-${r.id}`}
        >
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void decide("REJECT", String(new FormData(e.currentTarget).get("reason") ?? ""));
            }}
            className="space-y-4"
          >
            <h2 id={`reject-${r.id}`} className="text-lg font-semibold">
              Reject {r.name}?
            </h2>
            <p className="text-sm text-slate-600">The applicant will see this reason when they sign in. This cannot be undone.</p>
            <label className="block text-sm font-medium" htmlFor={`reason-${r.id}`}>
              Reason
            </label>
            <textarea
              id={`reason-${r.id}`}
              name="reason"
              required
              minLength={3}
              className="block w-full rounded-md border border-slate-300 p-2 text-sm"
              rows={3}
            />
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
                Reject registration
              </Button>
            </div>
          </form>
        </dialog>
      </td>
    </tr>
  );
}
