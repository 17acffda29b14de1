"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { askRenewalAction } from "@/lib/actions/requests/ask-renewal";
import type { MyGrant } from "@/lib/portal/grants";
import { reach } from "@/lib/actions/reach";

const when = (iso: string) => `${iso.replace("T", " ").slice(0, 16)} UTC`;

/** The researcher's granted requests: how long access lasts, and a renewal to ask for. */
export function MyRequests({ requests }: { requests: MyGrant[] }) {
  const router = useRouter();
  const [message, setMessage] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  // Granted requests, and those a hospital decides: pending, approved (possibly narrowed) or denied.
  const granted = requests.filter((r) => r.status === "READY" || r.decision === "pending" || r.decision === "denied");
  if (granted.length === 0) return <p className="text-sm text-slate-500">None yet: a request appears here once the authority has verified it.</p>;
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
      <ul className="space-y-2" data-testid="my-requests">
        {granted.map((r) => (
          <li
            key={r.id}
            className="flex flex-wrap items-center justify-between gap-2 rounded-lg border border-slate-200 bg-white p-3 text-sm"
            data-testid={`my-request-${r.id}`}
          >
            <div className="min-w-0">
              <p className="break-words">{r.purpose}</p>
              {r.decision !== "automatic" && (
                <p className="text-xs" data-testid="my-request-decision">
                  {r.decision === "pending" ? (
                    <span className="text-slate-700">Awaiting the hospital&apos;s decision</span>
                  ) : r.decision === "denied" ? (
                    <span className="text-red-700">Denied by the hospital: {r.denialReasons.join("; ") || "no reason given"}</span>
                  ) : (
                    <span className="text-emerald-700">
                      Approved by the hospital
                      {r.narrowed &&
                        ` (narrowed: ${[...r.narrowedTo.map((n) => `${n.records} of ${n.asked} records`), ...(r.askedPeriodDays ? [`${r.periodDays} of ${r.askedPeriodDays} days`] : [])].join(", ")})`}
                    </span>
                  )}
                </p>
              )}
              <p className="text-xs text-slate-500">
                asked {when(r.createdAt)}
                {r.outcome && ` · ${r.outcome}`}
                {r.status !== "READY" ? null : (
                  <>
                    {" "}
                    ·{" "}
                    {r.withdrawnAt ? (
                      <span className="text-red-700">withdrawn by the hospital {when(r.withdrawnAt)}</span>
                    ) : r.expired ? (
                      <span className="text-amber-800">expired {when(r.expiresAt!)}</span>
                    ) : (
                      `access until ${when(r.expiresAt!)}`
                    )}
                  </>
                )}
                {r.renewalRequestedAt && !r.withdrawnAt && " · renewal asked"}
              </p>
            </div>
            {r.status === "READY" && !r.withdrawnAt && !r.renewalRequestedAt && (
              <Button
                type="button"
                variant="secondary"
                onClick={async () => {
                  const res = await reach(askRenewalAction)({ requestId: r.id });
                  setMessage(
                    res.ok ? { tone: "ok", text: "Renewal asked: the hospital that owns these records decides." } : { tone: "error", text: res.error.message },
                  );
                  router.refresh();
                }}
              >
                Ask for a renewal
              </Button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
