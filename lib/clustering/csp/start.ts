import "server-only";
import { storedFeatureShapes } from "@/lib/csp/features";
import { db } from "@/lib/db/client";
import { StringList, fromJson } from "@/lib/db/json";
import { AppError } from "@/lib/errors";
import { appendCspAudit } from "@/lib/ledger/append";
import { checkRunStart, columnMismatch, RUN_LIMITS, type BaseRun } from "@/lib/validation/clustering";
import { BLIND_PARAMS_ID } from "@/lib/hopcm/encrypted/blind/keys";
import { enqueueRun } from "../queue";

export type CreateRunInput = {
  /** Chosen by the authority, which sealed the run's seed under it first. */
  runId: string;
  /** Uploads to cluster (a full run) or to add (an extension). */
  uploadIds: string[];
  k: number;
  baseRunId: string | null;
  /** The authority's active CKKS key (null: none yet): the uploads' features must be under it. */
  keyId: string | null;
  /** The key holder's blind-protocol key (null: none yet): an upload's blind tensors must be under it. */
  blindKeyId?: string | null;
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
  const blind = ordered.some((s) => s.paramsId === BLIND_PARAMS_ID);
  if (blind) {
    // The blind protocol (lib/clustering/blind.ts) over blind uploads only, from scratch.
    if (base || ordered.some((s) => s.paramsId !== BLIND_PARAMS_ID))
      throw new AppError(
        "VALIDATION",
        "Uploads prepared for blind clustering are clustered with each other only: choose no upload of the standard protocol beside them, and no run to extend.",
      );
    if (ordered.some((s) => s.ckksKeyId !== input.blindKeyId))
      throw new AppError("VALIDATION", "An upload's blind tensors were encrypted under another key than the key holder's.");
  } else if (ordered.some((s) => s.ckksKeyId !== input.keyId))
    throw new AppError("VALIDATION", "An upload's features were encrypted under an older clustering key.");
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
