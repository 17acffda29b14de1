"use client";

import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmWithReason } from "@/components/ui/confirm-dialog";
import { decideRequestAction } from "@/lib/actions/requests/decide-request";
import type { HospitalRequest } from "@/lib/portal/grants";
import { reach } from "@/lib/actions/reach";

type Props = { request: HospitalRequest; onMessage: (m: { tone: "ok" | "error"; text: string }) => void };

/**
 * The named approver's (or second reviewer's) decision on a request for the hospital's records:
 * approve, narrow (fewer records, a shorter period; the approver only) or deny with a reason.
 */
export function DecideRequest({ request: r, onMessage }: Props) {
  const router = useRouter();
  const id = useId().replace(/\W+/g, "");
  const mine = r.decisions.filter((d) => d.mine);
  const approver = mine.some((d) => d.role === "approver");
  const asked = Math.max(...mine.map((d) => d.asked), 0);
  const [records, setRecords] = useState("");
  const [days, setDays] = useState("");
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  if (mine.length === 0) return null;

  async function approve(narrow: boolean) {
    setBusy(true);
    const res = await reach(decideRequestAction)({
      requestId: r.id,
      decision: "approve",
      ...(narrow && records ? { records: Number(records) } : {}),
      ...(narrow && days ? { periodDays: Number(days) } : {}),
    });
    setBusy(false);
    if (!res.ok) {
      setErrors(res.error.fieldErrors ?? {});
      return onMessage({ tone: "error", text: res.error.message });
    }
    setErrors({});
    onMessage({
      tone: "ok",
      text:
        res.data.state === "pending"
          ? "Approved: the second reviewer decides now."
          : `Approved${narrow ? " (narrowed)" : ""}: ${r.requester} can now decrypt${res.data.decrypted ? "" : " once their signature verifies"}.`,
    });
    router.refresh();
  }

  return (
    <div className="mt-3 space-y-3 rounded-md border border-amber-200 bg-amber-50 p-3" data-testid="decide-request">
      <p className="text-sm font-medium">Your decision{mine[0].role === "reviewer" ? " as second reviewer" : ""}</p>
      <div className="flex flex-wrap gap-2">
        <Button type="button" disabled={busy} onClick={() => approve(false)} aria-label={`Approve the request of ${r.requester}`}>
          Approve
        </Button>
        <ConfirmWithReason
          trigger="Deny"
          triggerLabel={`Deny the request of ${r.requester}`}
          title="Deny this request?"
          confirmLabel="Deny request"
          onConfirm={async (reason) => {
            const res = await reach(decideRequestAction)({ requestId: r.id, decision: "deny", reason });
            if (!res.ok) return res.error.fieldErrors?.reason?.[0] ?? res.error.message;
            onMessage({ tone: "ok", text: `Denied: the cloud serves none of these records to ${r.requester}, who sees your reason.` });
            router.refresh();
            return null;
          }}
        >
          {r.requester} is told the reason you give here; the cloud then serves none of these records for this request.
        </ConfirmWithReason>
      </div>
      {approver && (
        <details className="text-sm">
          <summary className="cursor-pointer">Approve fewer records or a shorter period</summary>
          <div className="mt-2 flex flex-wrap items-end gap-3">
            <div className="space-y-1">
              <label htmlFor={`${id}-records`} className="block text-xs font-medium">
                Records (of {asked.toLocaleString()} asked)
              </label>
              <input
                id={`${id}-records`}
                type="number"
                inputMode="numeric"
                min={1}
                max={asked}
                value={records}
                onChange={(e) => setRecords(e.target.value)}
                aria-invalid={Boolean(errors.records) || undefined}
                className="block w-32 rounded-md border border-slate-300 p-2 text-sm"
              />
            </div>
            <div className="space-y-1">
              <label htmlFor={`${id}-days`} className="block text-xs font-medium">
                Days (of {r.periodDays} asked)
              </label>
              <input
                id={`${id}-days`}
                type="number"
                inputMode="numeric"
                min={1}
                max={r.periodDays}
                value={days}
                onChange={(e) => setDays(e.target.value)}
                aria-invalid={Boolean(errors.periodDays) || undefined}
                className="block w-32 rounded-md border border-slate-300 p-2 text-sm"
              />
            </div>
            <Button type="button" variant="secondary" disabled={busy || (!records && !days)} onClick={() => approve(true)}>
              Approve narrowed
            </Button>
          </div>
          {[...(errors.records ?? []), ...(errors.periodDays ?? [])].map((e) => (
            <p key={e} role="alert" className="mt-1 text-xs font-medium text-red-700">
              {e}
            </p>
          ))}
        </details>
      )}
    </div>
  );
}
