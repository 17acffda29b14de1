import Link from "next/link";
import { RunLive } from "@/components/clustering/run-live";
import { StartRunForm } from "@/components/clustering/start-run-form";
import { UploadsWithoutClusteringData } from "@/components/clustering/uploads-without-clustering-data";
import { Card, EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { clusterableUploads, extendableRuns, listRuns } from "@/lib/clustering/portal";
import { PartyOutage } from "@/components/ui/party-outage";
import { orOutage } from "@/lib/parties/outage";
import { formatDateTime } from "@/lib/format/date";
import { runTitle } from "@/lib/validation/clustering";
import { TableHead } from "@/components/ui/table-head";

export const metadata = { title: "Clustering" };

export default async function ClusteringPage({ searchParams }: { searchParams: Promise<{ extend?: string; deleted?: string }> }) {
  await requirePageUser(["AUTHORITY_ADMIN"], "/admin/clustering");
  const { extend, deleted } = await searchParams;
  const listed = await orOutage(Promise.all([listRuns(), clusterableUploads(), extendableRuns()]));
  if (listed.outage !== null)
    return (
      <>
        <PageHeader title="Clustering (HoPCM on encrypted tensors)" />
        <PartyOutage message={listed.outage}>Runs already queued or running carry on at the CSP.</PartyOutage>
      </>
    );
  const [runs, clusterable, extendable] = listed.data;
  return (
    <>
      <PageHeader
        title="Clustering (HoPCM on encrypted tensors)"
        description="The cloud clusters CKKS-encrypted feature tensors without seeing a value; the authority, as key holder, applies the membership step to distances and aggregates. Runs are background jobs: they survive a restart and can be cancelled. New uploads can be added to a finished run without re-reading the data it already clustered."
      />
      {deleted && (
        <p role="status" className="mb-4 rounded-md bg-emerald-50 px-4 py-2 text-sm text-emerald-900">
          The run was deleted.
        </p>
      )}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <div className="lg:col-span-2">
          {runs.length === 0 ? (
            <EmptyState title="No clustering runs yet">Start one with the uploads that have encrypted feature tensors.</EmptyState>
          ) : (
            <div role="region" aria-label="Clustering runs" tabIndex={0} className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white px-4">
              <table className="w-full text-left text-sm" data-testid="runs">
                <caption className="sr-only">Clustering runs, newest first</caption>
                <TableHead columns={["Run", "k", "Records", "Uploads", "Status", "Sizes"]} />
                <tbody>
                  {runs.map((r) => (
                    <tr key={r.id} className="border-t border-slate-100 align-top">
                      <td className="py-2 pr-4 text-xs">
                        <Link className="underline" href={`/admin/clustering/${r.id}`}>
                          {runTitle(r)}
                        </Link>
                        {r.name && <span className="block text-slate-500">{formatDateTime(r.createdAt)}</span>}
                      </td>
                      <td className="py-2 pr-4">{r.k}</td>
                      <td className="py-2 pr-4">{r.n?.toLocaleString() ?? "—"}</td>
                      <td className="py-2 pr-4 text-xs">
                        {r.baseRunId ? (
                          <>
                            +{r.addedUploadIds.length} to{" "}
                            <Link className="underline" href={`/admin/clustering/${r.baseRunId}`}>
                              an earlier run
                            </Link>
                          </>
                        ) : (
                          r.uploadIds.length
                        )}
                      </td>
                      <td className="py-2 pr-4 text-xs">
                        {r.status.toLowerCase()}
                        {r.error ? `: ${r.error}` : ""}
                        <RunLive runId={r.id} status={r.status} progress={r.progress} iteration={r.iteration} cancelRequested={r.cancelRequested} />
                      </td>
                      <td className="py-2 text-xs">{r.clusterSizes?.join(" / ") ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
        <Card>
          <StartRunForm uploads={clusterable} runs={extendable} extend={extend} />
          <UploadsWithoutClusteringData />
        </Card>
      </div>
    </>
  );
}
