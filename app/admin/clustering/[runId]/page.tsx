import Link from "next/link";
import { notFound } from "next/navigation";
import { RunCharts } from "@/components/clustering/run-charts";
import { RunLive } from "@/components/clustering/run-live";
import { RunMeta } from "@/components/clustering/run-meta";
import { Alert } from "@/components/ui/alert";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { AppError } from "@/lib/errors";
import { runDetail } from "@/lib/clustering/portal";
import { runTitle } from "@/lib/validation/clustering";
import { TableHead } from "@/components/ui/table-head";

export const metadata = { title: "Clustering run" };

export default async function RunPage({ params }: { params: Promise<{ runId: string }> }) {
  await requirePageUser(["AUTHORITY_ADMIN"], "/admin/clustering");
  const { runId } = await params;
  if (!/^[0-9a-f-]{36}$/.test(runId)) notFound();
  const run = await runDetail(runId).catch((e) => (e instanceof AppError && e.code === "NOT_FOUND" ? null : Promise.reject(e)));
  if (!run) notFound();
  return (
    <>
      <PageHeader
        title={`${run.title}: k = ${run.k}, ${run.n?.toLocaleString() ?? "?"} records`}
        description={`Uploads: ${run.uploads.map((u) => `${u.label} (${u.organisation})`).join(", ")}. Policies: ${run.policies.join("; ")}.`}
        actions={
          <div className="flex items-center gap-4 text-sm">
            {run.extendable && (
              <Link className="underline" href={`/admin/clustering?extend=${run.id}`}>
                Add new uploads to this run
              </Link>
            )}
            <Link className="underline" href="/admin/clustering">
              All runs
            </Link>
          </div>
        }
      />
      <RunMeta
        runId={run.id}
        name={run.name}
        note={run.note}
        title={run.title}
        active={run.status === "QUEUED" || run.status === "RUNNING"}
        extensions={run.extensions.length}
      />
      {run.base && (
        <div className="mb-4">
          <Alert tone="info">
            <span data-testid="run-base">
              This run extends{" "}
              <Link className="underline" href={`/admin/clustering/${run.base.id}`}>
                {runTitle(run.base)}
              </Link>{" "}
              ({run.base.n.toLocaleString()} records, whose labels it keeps). It clustered the {run.addedRecords.toLocaleString()} records of the added upload
              {run.uploads.filter((u) => u.added).length === 1 ? "" : "s"} on ciphertexts, starting from the earlier run&apos;s centers weighted by their mass;
              the earlier uploads&apos; data were not read again.
            </span>
          </Alert>
        </div>
      )}
      <div className="mb-6 space-y-3" data-testid="run-status">
        <p className="text-sm">
          Status: <strong>{run.status.toLowerCase()}</strong>
          {run.iteration ? `, ${run.iteration} iterations` : ""}
          {run.times.cspMs ? ` · cloud ${Math.round(run.times.cspMs / 1000)} s, key holder ${Math.round((run.times.keyHolderMs ?? 0) / 1000)} s` : ""}
        </p>
        {run.error && <Alert tone="error">{run.error}</Alert>}
        <RunLive runId={run.id} status={run.status} progress={run.progress} iteration={run.iteration} cancelRequested={run.cancelRequested} />
      </div>
      <div className="mb-6 grid grid-cols-1 gap-6 lg:grid-cols-2">
        <section aria-labelledby="uploads-heading">
          <h2 id="uploads-heading" className="mb-2 text-sm font-semibold">
            Uploads
          </h2>
          <div role="region" aria-label="Uploads of this run" tabIndex={0} className="relative overflow-x-auto">
            <table className="w-full text-left text-sm" data-testid="run-uploads">
              <TableHead columns={["Upload", "Organisation", "Records", "Clustered"]} dense />
              <tbody>
                {run.uploads.map((u) => (
                  <tr key={u.id} className="border-t border-slate-100">
                    <td className="py-1 pr-4">{u.label}</td>
                    <td className="py-1 pr-4">{u.organisation}</td>
                    <td className="py-1 pr-4">{u.records.toLocaleString()}</td>
                    <td className="py-1 text-xs">{u.added ? "in this run" : "earlier run (labels kept)"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
        {run.status === "SUCCEEDED" && (
          <section aria-labelledby="clusters-heading">
            <h2 id="clusters-heading" className="mb-2 text-sm font-semibold">
              Clusters
            </h2>
            <div role="region" aria-label="Clusters of this run" tabIndex={0} className="relative overflow-x-auto">
              <table className="w-full text-left text-sm" data-testid="run-clusters">
                <TableHead columns={["Cluster", "Records", "Mass (weight for later runs)"]} dense />
                <tbody>
                  {run.sizes.map((size, i) => (
                    <tr key={i} className="border-t border-slate-100">
                      <td className="py-1 pr-4">{i}</td>
                      <td className="py-1 pr-4">{size.toLocaleString()}</td>
                      <td className="py-1">{run.mass ? run.mass[i].toLocaleString() : "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {run.units && (
              <p className="mt-2 text-xs text-slate-600" data-testid="run-units">
                {run.units === "run"
                  ? "Units: every upload mapped to the run's normalisation, from the column statistics each hospital sent encrypted for the key holder."
                  : "Units: each upload's own z-scores (uploads sent before run-wide units)."}
              </p>
            )}
            {run.extensions.length > 0 && (
              <p className="mt-2 text-xs text-slate-600">
                Extended by:{" "}
                {run.extensions.map((e, i) => (
                  <span key={e.id}>
                    {i > 0 && ", "}
                    <Link className="underline" href={`/admin/clustering/${e.id}`}>
                      {runTitle(e)}
                    </Link>{" "}
                    ({e.status.toLowerCase()})
                  </span>
                ))}
              </p>
            )}
          </section>
        )}
      </div>
      {run.status === "SUCCEEDED" && (
        <RunCharts
          data={{
            sizes: run.sizes,
            objective: run.objective,
            iterations: run.iteration,
            extension: Boolean(run.base),
            blind: run.blind,
            typicalityHistogram: run.typicalityHistogram,
            projection: run.projection,
          }}
        />
      )}
    </>
  );
}
