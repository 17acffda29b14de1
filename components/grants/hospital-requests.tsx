"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { ConfirmWithReason } from "@/components/ui/confirm-dialog";
import { renewGrantAction } from "@/lib/actions/requests/renew-grant";
import { withdrawGrantAction } from "@/lib/actions/requests/withdraw-grant";
import type { HospitalRequest } from "@/lib/portal/grants";
import { DecideRequest } from "./decide-request";
import { reach } from "@/lib/actions/reach";

const when = (iso: string) => `${iso.replace("T", " ").slice(0, 16)} UTC`;
const tones = { ok: "text-emerald-700", bad: "text-red-700", wait: "text-slate-700", off: "text-slate-500" } as const;

/** The owner's view of requests for its records: outcome, access end, withdraw (confirmed) and renew. */
export function HospitalRequests({ requests }: { requests: HospitalRequest[] }) {
  const router = useRouter();
  const [message, setMessage] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  return (
    <div className="space-y-3">
      <div aria-live="polite">
        {message && (
          <p
            role={message.tone === "error" ? "alert" : "status"}
            className={`rounded-md px-4 py-2 text-sm ${message.tone === "error" ? "bg-red-50 text-red-800" : "bg-emerald-50 text-emerald-900"}`}
          >
            {message.text}
          </p>
        )}
      </div>
      <ul className="space-y-3" data-testid="hospital-requests">
        {requests.map((r) => {
          const live = r.status === "READY" && !r.withdrawnAt && !r.expired;
          return (
            <li key={r.id} className="rounded-lg border border-slate-200 bg-white p-4 text-sm" data-testid={`hospital-request-${r.id}`}>
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <p className="font-medium">{r.requester}</p>
                <p className="text-xs text-slate-500">asked {when(r.createdAt)}</p>
              </div>
              <p className="mt-1 break-words text-slate-700">{r.purpose}</p>
              <p className="mt-1 text-xs text-slate-600">
                {r.uploads.map((u) => `${u.label}: ${u.records === null ? "all records" : `${u.records} records (one cluster)`}`).join("; ")}
              </p>
              <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-xs">
                {r.decisions.length > 0 && (
                  <>
                    <dt className="text-slate-500">Decision</dt>
                    <dd data-testid="hospital-request-decision">
                      {r.decisions.map((d) => (
                        <span key={d.uploadId} className="block">
                          <span className={`font-medium ${d.decision === "approved" ? tones.ok : d.decision === "denied" ? tones.bad : tones.wait}`}>
                            {d.decision === "pending"
                              ? d.approvedBy || d.reviewedBy
                                ? `approved by ${d.approvedBy ?? d.reviewedBy}, awaiting ${d.approvedBy ? d.reviewer : d.approver}`
                                : "awaiting a decision"
                              : d.decision}
                          </span>
                          {d.decision === "approved" && d.askedRecords !== null && ` (narrowed to ${d.asked} of ${d.askedRecords} records)`}
                          {d.reason && <span className="text-slate-600"> · {d.reason}</span>}
                          <span className="text-slate-500">
                            {" "}
                            · approver {d.approver}
                            {d.reviewer && `, second reviewer ${d.reviewer}`}
                          </span>
                        </span>
                      ))}
                      {r.askedPeriodDays !== null && (
                        <span className="block text-slate-600">
                          period narrowed to {r.periodDays} of {r.askedPeriodDays} days
                        </span>
                      )}
                    </dd>
                  </>
                )}
                <dt className="text-slate-500">Outcome</dt>
                <dd data-testid="hospital-request-outcome">
                  <span className={`font-medium ${tones[r.state.tone]}`}>{r.state.label}</span>
                  {r.state.completedAt && <span className="text-slate-500"> · {when(r.state.completedAt)}</span>}
                  {r.state.detail && <span className="block text-slate-500">{r.state.detail}</span>}
                </dd>
                <dt className="text-slate-500">Access</dt>
                <dd data-testid="hospital-request-access">
                  {r.withdrawnAt
                    ? `withdrawn ${when(r.withdrawnAt)}${r.withdrawReason ? ` (${r.withdrawReason})` : ""}`
                    : r.status !== "READY"
                      ? "not granted"
                      : r.expired
                        ? `expired ${when(r.expiresAt!)}`
                        : `until ${when(r.expiresAt!)} (${r.periodDays} days asked)`}
                  {r.renewalRequestedAt && !r.withdrawnAt && (
                    <span className="block text-amber-800">The researcher asks for a renewal ({when(r.renewalRequestedAt)}).</span>
                  )}
                </dd>
              </dl>
              <DecideRequest request={r} onMessage={setMessage} />
              {(live || (r.status === "READY" && !r.withdrawnAt)) && (
                <div className="mt-3 flex flex-wrap gap-2">
                  {r.status === "READY" && !r.withdrawnAt && (r.expired || r.renewalRequestedAt) && (
                    <Button
                      type="button"
                      variant="secondary"
                      onClick={async () => {
                        const res = await reach(renewGrantAction)({ requestId: r.id });
                        setMessage(
                          res.ok
                            ? { tone: "ok", text: `Renewed for ${r.periodDays} days, until ${when(res.data.expiresAt)}.` }
                            : { tone: "error", text: res.error.message },
                        );
                        router.refresh();
                      }}
                    >
                      Renew for {r.periodDays} days
                    </Button>
                  )}
                  {live && (
                    <ConfirmWithReason
                      trigger="Withdraw access"
                      triggerLabel={`Withdraw access of ${r.requester}`}
                      title="Withdraw this grant now?"
                      confirmLabel="Withdraw access"
                      onConfirm={async (reason) => {
                        const res = await reach(withdrawGrantAction)({ requestId: r.id, reason });
                        if (!res.ok) return res.error.fieldErrors?.reason?.[0] ?? res.error.message;
                        setMessage({ tone: "ok", text: `Access withdrawn: the cloud no longer serves these records to ${r.requester}.` });
                        router.refresh();
                        return null;
                      }}
                    >
                      From now on the cloud refuses to serve these records to {r.requester} or to help decrypt them. Records already decrypted in their browser
                      cannot be taken back.
                    </ConfirmWithReason>
                  )}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
