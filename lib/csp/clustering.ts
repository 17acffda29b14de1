import "server-only";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { enqueueRun } from "@/lib/clustering/queue";
import { appendCspAudit } from "@/lib/ledger/append";
import { checkRunStart, columnMismatch, RUN_LIMITS, type BaseRun } from "@/lib/validation/clustering";
import { storedFeatureShapes } from "./features";
import { NumberList, StringList, fromJson, fromJsonOrNull } from "@/lib/db/json";

/**
 * The CSP's side of clustering runs, on its own tables only (csp.clustering_runs, run_labels,
 * uploads, upload_features): the run rows, their labels and what the portal shows of them.
 * The authority reaches these through the CSP's API (lib/csp/api/clustering.wire.ts) and joins
 * what it holds itself (organisation names, a run's sealed centers and mass). The worker
 * (lib/clustering/clustering.ts) processes the runs created here.
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
    select: { ...RUN_FIELDS, columns: true, objective: true },
  });
  if (!run) return null;
  return {
    ...run,
    uploadIds: fromJson(StringList, run.uploadIds, "clustering_runs.upload_ids"),
    addedUploadIds: fromJson(StringList, run.addedUploadIds, "clustering_runs.added_upload_ids"),
    columns: fromJson(StringList, run.columns, "clustering_runs.columns"),
    objective: fromJson(NumberList, run.objective, "clustering_runs.objective"),
  };
}

/** Public facts of some uploads (the authority adds the organisations' names). */
async function uploadFacts(uploadIds: string[]) {
  return db().upload.findMany({ where: { id: { in: uploadIds } }, select: { id: true, label: true, policy: true, organisationId: true, recordCount: true } });
}

const HISTOGRAM_BINS = 10;

/** A run with what the CSP holds of its result: cluster sizes, typicality histograms, its base and extensions, its uploads. */
export async function runDetailAtCsp(runId: string) {
  const run = await runRow(runId);
  if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
  const labels = await db().runLabel.findMany({ where: { runId }, select: { label: true, typicality: true } });
  const sizes = new Array<number>(run.k).fill(0);
  // Typicality of each record to its own cluster, binned per cluster over [0, 1].
  const histogram = Array.from({ length: run.k }, () => new Array<number>(HISTOGRAM_BINS).fill(0));
  for (const l of labels) {
    sizes[l.label]++;
    const t = l.typicality[l.label] ?? 0;
    histogram[l.label][Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(t * HISTOGRAM_BINS)))]++;
  }
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
  return {
    run,
    sizes,
    typicalityHistogram: histogram.map((counts, cluster) => ({
      cluster,
      bins: counts.map((count, b) => ({ from: b / HISTOGRAM_BINS, to: (b + 1) / HISTOGRAM_BINS, count })),
    })),
    base,
    extensions,
    uploads,
  };
}

/**
 * The clusters of finished runs, as researchers browse them: sizes, typicality summaries (of the
 * rounded typicalities the CSP holds), which uploads each cluster draws from.
 */
export async function clusterSummaries() {
  const runs = await db().clusteringRun.findMany({
    where: { status: "SUCCEEDED" },
    orderBy: { finishedAt: "desc" },
    select: { id: true, name: true, note: true, k: true, n: true, createdAt: true, finishedAt: true, uploadIds: true, baseRunId: true },
  });
  if (runs.length === 0) return { runs: [], stats: [], members: [], uploads: [] };
  const runIds = runs.map((r) => r.id);
  const stats = await db().$queryRaw<Array<{ run_id: string; label: number; size: number; mean: number; min: number; max: number }>>`
    SELECT run_id::text AS run_id, label, count(*)::int AS size,
           avg(typicality[label + 1])::float8 AS mean, min(typicality[label + 1])::float8 AS min, max(typicality[label + 1])::float8 AS max
    FROM csp.run_labels WHERE run_id::text = ANY(${runIds}) GROUP BY run_id, label ORDER BY run_id, label`;
  const members = await db().$queryRaw<Array<{ run_id: string; label: number; upload_id: string }>>`
    SELECT DISTINCT run_id::text AS run_id, label, upload_id::text AS upload_id FROM csp.run_labels WHERE run_id::text = ANY(${runIds})`;
  const uploads = await uploadFacts([...new Set(runs.flatMap((r) => fromJson(StringList, r.uploadIds, "clustering_runs.upload_ids")))]);
  return { runs: runs.map((r) => ({ ...r, uploadIds: fromJson(StringList, r.uploadIds, "clustering_runs.upload_ids") })), stats, members, uploads };
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
    select: { uploadId: true, p: true, columns: true },
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
    };
  });
}

export type CreateRunInput = {
  /** Chosen by the authority, which sealed the run's seed under it first. */
  runId: string;
  /** Uploads to cluster (a full run) or to add (an extension). */
  uploadIds: string[];
  k: number;
  baseRunId: string | null;
  /** The authority's active CKKS key (null: none yet): the uploads' features must be under it. */
  keyId: string | null;
  /** false: leave the job to recoverRuns (tests process runs themselves). */
  enqueue: boolean;
  /** The admin's name and note for the run (empty: none). */
  name?: string;
  note?: string;
};

/**
 * Creates a run (QUEUED) over uploads' stored features, or an extension of a finished run, with
 * its entry in the CSP's log, then sends its job. The authority made its own checks and sealed
 * the run's seed; the CSP checks its tables: the base run, the stored features' shapes, columns
 * and key, the sizes the key holder may see aggregates of.
 */
export async function createRun(actorId: string, input: CreateRunInput) {
  const base = input.baseRunId ? await baseRun(input.baseRunId) : null;
  const { added, k } = checkRunStart(input, base);
  const shapes = await storedFeatureShapes(added);
  const missing = added.filter((id) => !shapes.some((s) => s.uploadId === id));
  if (missing.length) throw new AppError("VALIDATION", `No stored encrypted features for upload${missing.length > 1 ? "s" : ""} ${missing.join(", ")}.`);
  const ordered = added.map((id) => shapes.find((s) => s.uploadId === id)!);
  const columns = base ? base.columns : fromJson(StringList, ordered[0].columns, "upload_features.columns");
  if (ordered.some((s) => JSON.stringify(s.columns) !== JSON.stringify(columns))) {
    if (base) throw new AppError("VALIDATION", "An added upload has other feature columns than the base run; extend a run with uploads of the same features.");
    const labels = new Map((await db().upload.findMany({ where: { id: { in: added } }, select: { id: true, label: true } })).map((u) => [u.id, u.label]));
    throw new AppError(
      "VALIDATION",
      columnMismatch(
        ordered.map((s) => ({ label: labels.get(s.uploadId) ?? s.uploadId, columns: fromJson(StringList, s.columns, "upload_features.columns") })),
      )!,
    );
  }
  if (ordered.some((s) => s.ckksKeyId !== input.keyId)) throw new AppError("VALIDATION", "An upload's features were encrypted under an older clustering key.");
  // The key holder sees one aggregate per upload read (and, in an extension, can subtract the
  // prototypes it holds): every upload read next to something else needs a minimum size.
  if ((base || ordered.length > 1) && ordered.some((s) => s.n < RUN_LIMITS.minRecordsPerUpload))
    throw new AppError(
      "VALIDATION",
      `Each upload ${base ? "added to a run" : "of a multi-upload run"} needs at least ${RUN_LIMITS.minRecordsPerUpload} records.`,
    );
  const addedN = ordered.reduce((t, s) => t + s.n, 0);
  if (!base && k > addedN) throw new AppError("VALIDATION", `k = ${k} exceeds the ${addedN} records.`);
  const n = (base?.n ?? 0) + addedN;
  const p = columns.length;
  const uploadIds = [...(base?.uploadIds ?? []), ...added];
  const runId = input.runId;
  await db().$transaction(async (tx) => {
    if (await tx.clusteringRun.findUnique({ where: { id: runId }, select: { id: true } }))
      throw new AppError("CONFLICT", "A clustering run with this id exists already.");
    await tx.clusteringRun.create({
      data: {
        id: runId,
        name: input.name ?? "",
        note: input.note ?? "",
        k,
        uploadIds,
        addedUploadIds: added,
        columns,
        baseRunId: base?.id ?? null,
        n,
        p,
        createdById: actorId,
      },
    });
    await appendCspAudit(tx, {
      actorId,
      action: "CLUSTERING_RUN_STARTED",
      subjectType: "clustering_run",
      subjectId: runId,
      data: base ? { k, base: base.id, uploads: added, n, added: addedN, p } : { k, uploads: added, n, p },
    });
  });
  if (input.enqueue) {
    // The run row is committed first; if the queue is unreachable now, recoverRuns() sends the job later.
    await enqueueRun(runId).catch((error) => console.error(`[jobs] could not enqueue run ${runId}:`, error));
  }
  return { runId, n, p, added: addedN };
}

/** A run as a base of an extension (null: no such run). */
async function baseRun(runId: string): Promise<BaseRun | null> {
  const run = await db().clusteringRun.findUnique({
    where: { id: runId },
    select: { id: true, status: true, k: true, n: true, p: true, uploadIds: true, columns: true },
  });
  return (
    run && {
      ...run,
      uploadIds: fromJson(StringList, run.uploadIds, "clustering_runs.upload_ids"),
      columns: fromJson(StringList, run.columns, "clustering_runs.columns"),
    }
  );
}

/** Cancels a queued run at once; a running one stops at its next iteration (status CANCELLED). */
export async function cancelRun({ actorId, runId }: { actorId: string; runId: string }) {
  return db().$transaction(async (tx) => {
    const run = await tx.clusteringRun.findUnique({ where: { id: runId }, select: { status: true, cancelRequested: true, iteration: true } });
    if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
    if (run.status === "QUEUED") {
      await tx.clusteringRun.update({ where: { id: runId }, data: { status: "CANCELLED", cancelRequested: true, finishedAt: new Date() } });
      await appendCspAudit(tx, { actorId, action: "CLUSTERING_RUN_CANCELLED", subjectType: "clustering_run", subjectId: runId, data: { phase: "queued" } });
      return { status: "CANCELLED" as const };
    }
    if (run.status !== "RUNNING") throw new AppError("INVALID_STATE", "Only a queued or running run can be cancelled.");
    if (!run.cancelRequested) {
      await tx.clusteringRun.update({ where: { id: runId }, data: { cancelRequested: true } });
      await appendCspAudit(tx, {
        actorId,
        action: "CLUSTERING_RUN_CANCELLED",
        subjectType: "clustering_run",
        subjectId: runId,
        data: { phase: "requested", iteration: run.iteration },
      });
    }
    return { status: "CANCELLING" as const };
  });
}

/** Renames a run and sets its note (the admin's words), audited. */
export async function describeRun({ actorId, runId, ...text }: { actorId: string; runId: string; name: string; note: string }) {
  return db().$transaction(async (tx) => {
    const run = await tx.clusteringRun.findUnique({ where: { id: runId }, select: { name: true, note: true } });
    if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
    if (run.name === text.name && run.note === text.note) return { changed: false };
    await tx.clusteringRun.update({ where: { id: runId }, data: { name: text.name, note: text.note } });
    await appendCspAudit(tx, {
      actorId,
      action: "CLUSTERING_RUN_DESCRIBED",
      subjectType: "clustering_run",
      subjectId: runId,
      data: { name: text.name, noteChanged: run.note !== text.note },
    });
    return { changed: true };
  });
}

/**
 * Deletes a finished, failed or cancelled run with its labels, audited. A queued or running run
 * is refused (cancel it first), and so is a run that later runs extend (delete those first).
 */
export async function deleteRun({ actorId, runId }: { actorId: string; runId: string }) {
  return db().$transaction(async (tx) => {
    const [run] = await tx.$queryRaw<Array<{ status: string; name: string; k: number; n: number }>>`
      SELECT status::text AS status, name, k, n FROM csp.clustering_runs WHERE id = ${runId}::uuid FOR UPDATE`;
    if (!run) throw new AppError("NOT_FOUND", "No such clustering run.");
    if (run.status === "QUEUED" || run.status === "RUNNING") throw new AppError("INVALID_STATE", "This run is still running: cancel it before deleting it.");
    const extensions = await tx.clusteringRun.count({ where: { baseRunId: runId } });
    if (extensions)
      throw new AppError(
        "INVALID_STATE",
        `${extensions} later run${extensions > 1 ? "s extend" : " extends"} this run: delete ${extensions > 1 ? "them" : "it"} first.`,
      );
    const labels = await tx.runLabel.deleteMany({ where: { runId } });
    await tx.clusteringRun.delete({ where: { id: runId } });
    await appendCspAudit(tx, {
      actorId,
      action: "CLUSTERING_RUN_DELETED",
      subjectType: "clustering_run",
      subjectId: runId,
      data: { name: run.name, status: run.status, k: run.k, n: run.n, labels: labels.count },
    });
    return { deleted: true };
  });
}
