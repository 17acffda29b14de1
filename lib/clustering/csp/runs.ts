import "server-only";
import { BLIND_PARAMS_ID } from "@/lib/hopcm/encrypted/blind/keys";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { NumberList, StringList, fromJson, fromJsonOrNull } from "@/lib/db/json";
import { TypicalitySummary, typicalityView } from "../typicality";

/**
 * The CSP's side of clustering runs (this folder), on its own tables only (csp.clustering_runs,
 * run_labels, uploads, upload_features): the run rows and their labels as the views read them
 * (this file); creating and queueing a run (./start.ts), cancelling it (./cancel.ts), renaming
 * and deleting it (./manage.ts). The authority reaches these through the CSP's API
 * (lib/csp/api/clustering.wire.ts) and joins what it holds itself (organisation names, a run's
 * sealed centers and mass; ../portal.ts). The worker (../worker.ts, ../process.ts) processes the
 * runs created here.
 */

/** A run's state and progress, as every view of it shows them. */
const RUN_FIELDS = {
  id: true,
  name: true,
  note: true,
  status: true,
  k: true,
  n: true,
  p: true,
  uploadIds: true,
  addedUploadIds: true,
  baseRunId: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  iteration: true,
  progress: true,
  cancelRequested: true,
  error: true,
  cspMs: true,
  keyHolderMs: true,
} as const;

/** Every run, newest first (the admin's list). */
export async function listRunRows() {
  const runs = await db().clusteringRun.findMany({
    orderBy: { createdAt: "desc" },
    select: { ...RUN_FIELDS, createdById: true, clusterSizes: true },
  });
  return runs.map((r) => ({
    ...r,
    uploadIds: fromJson(StringList, r.uploadIds, "clustering_runs.upload_ids"),
    addedUploadIds: fromJson(StringList, r.addedUploadIds, "clustering_runs.added_upload_ids"),
    clusterSizes: fromJsonOrNull(NumberList, r.clusterSizes, "clustering_runs.cluster_sizes"),
  }));
}

/** One run's row (null: no such run). */
export async function runRow(runId: string) {
  const run = await db().clusteringRun.findUnique({
    where: { id: runId },
    select: { ...RUN_FIELDS, columns: true, typicality: true },
  });
  if (!run) return null;
  return {
    ...run,
    uploadIds: fromJson(StringList, run.uploadIds, "clustering_runs.upload_ids"),
    addedUploadIds: fromJson(StringList, run.addedUploadIds, "clustering_runs.added_upload_ids"),
    columns: fromJson(StringList, run.columns, "clustering_runs.columns"),
    typicality: fromJsonOrNull(TypicalitySummary, run.typicality, "clustering_runs.typicality"),
  };
}

/** Public facts of some uploads (the authority adds the organisations' names). */
async function uploadFacts(uploadIds: string[]) {
  return db().upload.findMany({ where: { id: { in: uploadIds } }, select: { id: true, label: true, policy: true, organisationId: true, recordCount: true } });
}

/** A run with what the CSP holds of its result: cluster sizes, typicality histograms (aggregates), its base and extensions, its uploads. */
export async function runDetailAtCsp(runId: string) {
  const row = await runRow(runId);
  if (!row) throw new AppError("NOT_FOUND", "No such clustering run.");
  const { typicality, ...run } = row;
  const sizes = new Array<number>(run.k).fill(0);
  for (const g of await db().runLabel.groupBy({ by: ["label"], where: { runId }, _count: { _all: true } })) sizes[g.label] = g._count._all;
  const [base, extensions, uploads] = await Promise.all([
    run.baseRunId
      ? db().clusteringRun.findUnique({ where: { id: run.baseRunId }, select: { id: true, name: true, n: true, createdAt: true, finishedAt: true } })
      : null,
    db().clusteringRun.findMany({
      where: { baseRunId: runId },
      orderBy: { createdAt: "asc" },
      select: { id: true, name: true, status: true, n: true, createdAt: true },
    }),
    uploadFacts(run.uploadIds),
  ]);
  const blind = (await db().uploadFeatures.count({ where: { uploadId: { in: run.addedUploadIds }, paramsId: BLIND_PARAMS_ID } })) > 0;
  return {
    run,
    /** A run of the blind protocol (its uploads' tensors): labels only, no trace, no centers anywhere. */
    blind,
    sizes,
    typicalityHistogram: typicalityView(typicality, run.k).map(({ cluster, bins }) => ({ cluster, bins })),
    base,
    extensions,
    uploads,
  };
}

/**
 * The clusters of finished runs, as researchers browse them: sizes, mean typicality (from the
 * run's aggregates; null for a run without them), which uploads each cluster draws from.
 */
export async function clusterSummaries() {
  const runs = await db().clusteringRun.findMany({
    where: { status: "SUCCEEDED" },
    orderBy: { finishedAt: "desc" },
    select: { id: true, name: true, note: true, k: true, n: true, createdAt: true, finishedAt: true, uploadIds: true, baseRunId: true, typicality: true },
  });
  if (runs.length === 0) return { runs: [], stats: [], members: [], uploads: [] };
  const runIds = runs.map((r) => r.id);
  const counts = await db().$queryRaw<Array<{ run_id: string; label: number; size: number }>>`
    SELECT run_id::text AS run_id, label, count(*)::int AS size
    FROM csp.run_labels WHERE run_id::text = ANY(${runIds}) GROUP BY run_id, label ORDER BY run_id, label`;
  const means = new Map(
    runs.map((r) => [r.id, typicalityView(fromJsonOrNull(TypicalitySummary, r.typicality, "clustering_runs.typicality"), r.k).map((v) => v.mean)]),
  );
  const stats = counts.map((c) => ({ ...c, mean: means.get(c.run_id)?.[c.label] ?? null }));
  const members = await db().$queryRaw<Array<{ run_id: string; label: number; upload_id: string }>>`
    SELECT DISTINCT run_id::text AS run_id, label, upload_id::text AS upload_id FROM csp.run_labels WHERE run_id::text = ANY(${runIds})`;
  const uploads = await uploadFacts([...new Set(runs.flatMap((r) => fromJson(StringList, r.uploadIds, "clustering_runs.upload_ids")))]);
  return {
    runs: runs.map(({ typicality: _, ...r }) => ({ ...r, uploadIds: fromJson(StringList, r.uploadIds, "clustering_runs.upload_ids") })),
    stats,
    members,
    uploads,
  };
}

/** The records of one cluster, as references into their uploads (what an access request asks for). */
export async function clusterMemberRows(runId: string, cluster: number) {
  const run = await db().clusteringRun.findUnique({ where: { id: runId }, select: { status: true, k: true } });
  if (!run || run.status !== "SUCCEEDED") throw new AppError("NOT_FOUND", "No such finished clustering run.");
  if (!Number.isInteger(cluster) || cluster < 0 || cluster >= run.k) throw new AppError("VALIDATION", `Cluster must be 0..${run.k - 1}.`);
  return db().runLabel.findMany({
    where: { runId, label: cluster },
    orderBy: [{ uploadId: "asc" }, { recordIndex: "asc" }],
    select: { uploadId: true, recordIndex: true },
  });
}

/** Finished runs, newest first (the authority keeps those whose centers' mass it holds: extendable). */
export async function finishedRuns() {
  const runs = await db().clusteringRun.findMany({
    where: { status: "SUCCEEDED" },
    orderBy: { finishedAt: "desc" },
    select: { id: true, name: true, k: true, n: true, p: true, uploadIds: true, columns: true, createdAt: true, finishedAt: true, baseRunId: true },
  });
  return runs.map((r) => ({
    ...r,
    uploadIds: fromJson(StringList, r.uploadIds, "clustering_runs.upload_ids"),
    columns: fromJson(StringList, r.columns, "clustering_runs.columns"),
  }));
}

/** Stored uploads with stored encrypted features: what a run can cluster. */
export async function clusterableUploads() {
  const features = await db().uploadFeatures.findMany({
    where: { status: "STORED", upload: { status: "STORED" } },
    select: { uploadId: true, p: true, columns: true, paramsId: true },
  });
  const uploads = await db().upload.findMany({
    where: { id: { in: features.map((f) => f.uploadId) }, status: "STORED" },
    orderBy: { createdAt: "desc" },
    select: { id: true, label: true, recordCount: true, organisationId: true },
  });
  return uploads.map((u) => {
    const f = features.find((x) => x.uploadId === u.id)!;
    return {
      id: u.id,
      label: u.label,
      records: u.recordCount,
      organisationId: u.organisationId,
      features: f.p,
      columns: fromJson(StringList, f.columns, "upload_features.columns"),
      /** Tensors of the blind protocol: the upload is clustered on its own (lib/clustering/blind.ts). */
      blind: f.paramsId === BLIND_PARAMS_ID,
    };
  });
}
