import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { listRequestsForAdmin } from "@/lib/authority/requests";
import { PartyOutage } from "@/components/ui/party-outage";
import { orOutage } from "@/lib/parties/outage";

export const metadata = { title: "Requests" };

const tones = { ok: "font-medium text-emerald-700", bad: "font-medium text-red-700", wait: "text-slate-700", off: "font-medium text-slate-500" } as const;

export default async function RequestsPage() {
  const admin = await requirePageUser(["AUTHORITY_ADMIN"], "/admin/requests");
  const listed = await orOutage(listRequestsForAdmin(admin));
  if (listed.outage !== null)
    return (
      <>
        <PageHeader title="Access requests" />
        <PartyOutage message={listed.outage} />
      </>
    );
  const requests = listed.data;
  return (
    <>
      <PageHeader
        title="Access requests"
        description="Every researcher request, the attribute-based signature checks the authority ran on it, and what the cloud decrypted."
      />
      {requests.length === 0 ? (
        <EmptyState title="No requests yet" />
      ) : (
        <div role="region" aria-label="Requests" tabIndex={0} className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white px-4">
          <table className="w-full text-left text-sm" data-testid="requests">
            <caption className="sr-only">Requests, newest first</caption>
            <thead className="text-xs uppercase text-slate-500">
              <tr>
                <th className="py-2 pr-4">When</th>
                <th className="py-2 pr-4">Researcher</th>
                <th className="py-2 pr-4">Purpose</th>
                <th className="py-2 pr-4">Signature checks</th>
                <th className="py-2 pr-4">Outcome</th>
                <th className="py-2 pr-4">Completed</th>
                <th className="py-2">Access until</th>
              </tr>
            </thead>
            <tbody>
              {requests.map((r) => (
                <tr key={r.id} className="border-t border-slate-100 align-top">
                  <td className="py-2 pr-4 text-xs">{r.createdAt.replace("T", " ").slice(0, 16)}</td>
                  <td className="py-2 pr-4 text-xs">
                    {r.requester?.name}
                    <span className="block font-mono text-slate-500">
                      {r.requester?.gid} · {r.requester?.organisation.name}
                    </span>
                  </td>
                  <td className="py-2 pr-4 text-xs">{r.purpose}</td>
                  <td className="py-2 pr-4 text-xs">
                    <ul>
                      {r.verifications.length === 0 && <li className="text-slate-500">not signed yet</li>}
                      {r.verifications.map((v, i) => (
                        <li key={i} className={v.ok ? "text-emerald-700" : "text-red-700"}>
                          {v.at.slice(11, 19)} {v.ok ? "verified" : `refused: ${v.reason}`}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td className="py-2 pr-4 text-xs" data-testid="request-outcome">
                    <span className={tones[r.state.tone]}>{r.state.label}</span>
                    {r.state.detail && <span className="block text-slate-500">{r.state.detail}</span>}
                    {r.status === "READY" &&
                      r.uploads.map((u) => (
                        <div key={u.uploadId} className="text-slate-500">
                          {u.opened ? "cloud: partially decrypted" : `cloud: not opened (lacks ${u.missing.join(", ")})`}
                        </div>
                      ))}
                  </td>
                  <td className="py-2 pr-4 text-xs" data-testid="request-completed">
                    {r.state.completedAt ? r.state.completedAt.replace("T", " ").slice(0, 19) : "—"}
                  </td>
                  <td className="py-2 text-xs" data-testid="request-expiry">
                    {r.withdrawnAt
                      ? `withdrawn ${r.withdrawnAt.replace("T", " ").slice(0, 16)}`
                      : r.status === "READY" && r.expiresAt
                        ? `${r.expiresAt.replace("T", " ").slice(0, 16)} (${r.periodDays} days)`
                        : "—"}
                    {r.renewalRequestedAt && !r.withdrawnAt && <span className="block text-amber-800">renewal asked</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
