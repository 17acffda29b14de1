import Link from "next/link";
import { notFound } from "next/navigation";
import { RunCharts } from "@/components/clustering/run-charts";
import { RunLive } from "@/components/clustering/run-live";
import { Alert } from "@/components/ui/alert";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { AppError } from "@/lib/errors";
import { runDetail } from "@/lib/portal/clustering";

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
        title={`Clustering run: k = ${run.k}, ${run.n?.toLocaleString() ?? "?"} records`}
        description={`Uploads: ${run.uploads.map((u) => `${u.label} (${u.organisation})`).join(", ")}. Policies: ${run.policies.join("; ")}.`}
        actions={<Link className="text-sm underline" href="/admin/clustering">All runs</Link>}
      />
      <div className="mb-6 space-y-3" data-testid="run-status">
        <p className="text-sm">Status: <strong>{run.status.toLowerCase()}</strong>{run.iteration ? `, ${run.iteration} iterations` : ""}{run.times.cspMs ? ` · cloud ${Math.round(run.times.cspMs / 1000)} s, key holder ${Math.round((run.times.keyHolderMs ?? 0) / 1000)} s` : ""}</p>
        {run.error && <Alert tone="error">{run.error}</Alert>}
        <RunLive runId={run.id} status={run.status} progress={run.progress} iteration={run.iteration} cancelRequested={run.cancelRequested} />
      </div>
      {run.status === "SUCCEEDED" && <RunCharts data={{ sizes: run.sizes, objective: run.objective, typicalityHistogram: run.typicalityHistogram, projection: run.projection }} />}
    </>
  );
}
