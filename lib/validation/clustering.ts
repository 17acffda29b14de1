import { AppError } from "@/lib/errors";
import { z } from "./zod";

/** Bounds of a clustering run (the start form, the authority and the CSP check the same). */
export const RUN_LIMITS = { minK: 2, maxK: 12, maxUploads: 100, minRecordsPerUpload: 10 } as const;

/** Begin an upload's encrypted features (POST /api/uploads/[id]/features). */
export const beginFeaturesSchema = z.object({
  // SEAL's parms id (hex) for the standard protocol; "blind-ckks-<N>-<chain>" for the blind one
  paramsId: z.string().regex(/^(?:[0-9a-f]{1,128}|blind-ckks-\d{4,5}-\d{2}(?:\.\d{2}){1,20})$/, "paramsId must be a CKKS parameters id."),
  keyId: z.uuid(),
  n: z.number().int().min(1),
  p: z.number().int().min(1).max(256),
  columns: z.array(z.string().min(1).max(200)).min(1).max(256),
  blocks: z.number().int().min(1).max(10_000),
});

/** A run's name and note: short public metadata, shown to researchers (the name) and admins. */
export const RUN_TEXT_LIMITS = { name: 120, note: 2000 } as const;
export const runNameSchema = z.string().trim().max(RUN_TEXT_LIMITS.name, `A run's name is at most ${RUN_TEXT_LIMITS.name} characters.`);
export const runNoteSchema = z.string().trim().max(RUN_TEXT_LIMITS.note, `A note is at most ${RUN_TEXT_LIMITS.note} characters.`);

/** A full run (uploadIds, k) or an extension of a finished run (baseRunId, the uploads to add; k is the base run's). */
export const startRunSchema = z
  .object({
    uploadIds: z.array(z.uuid()).min(1, "Choose at least one upload.").max(RUN_LIMITS.maxUploads),
    k: z.number().int().min(RUN_LIMITS.minK).max(RUN_LIMITS.maxK).optional(),
    baseRunId: z.uuid().optional(),
    name: runNameSchema.optional(),
    note: runNoteSchema.optional(),
  })
  .refine((v) => v.k !== undefined || v.baseRunId !== undefined, { message: "Choose the number of clusters k.", path: ["k"] });

export const cancelRunSchema = z.object({ runId: z.uuid() });
export const deleteRunSchema = z.object({ runId: z.uuid() });
export const describeRunSchema = z.object({ runId: z.uuid(), name: runNameSchema, note: runNoteSchema });

/** How a run is called where people choose from runs: its name, else the day it was made. */
export function runTitle(run: { name: string; createdAt: Date | string }) {
  const when = new Date(run.createdAt).toISOString().replace("T", " ").slice(0, 16);
  return run.name.trim() || `Run of ${when} UTC`;
}

/**
 * Uploads whose feature columns differ cannot be clustered together. Groups the chosen uploads
 * by their columns (in order) and, when there is more than one group, words the refusal naming
 * each upload and its columns (the columns not common to every group first).
 */
export function columnMismatch(uploads: Array<{ label: string; columns: string[] }>): string | null {
  const groups = new Map<string, { labels: string[]; columns: string[] }>();
  for (const u of uploads) {
    const key = JSON.stringify(u.columns);
    const g = groups.get(key) ?? { labels: [], columns: u.columns };
    g.labels.push(u.label);
    groups.set(key, g);
  }
  if (groups.size < 2) return null;
  const all = [...groups.values()];
  const common = all[0].columns.filter((c) => all.every((g) => g.columns.includes(c)));
  const describe = (columns: string[]) => {
    const own = columns.filter((c) => !common.includes(c));
    const shown = own.length ? own : columns;
    const list = shown.slice(0, 8).join(", ") + (shown.length > 8 ? ` and ${shown.length - 8} more` : "");
    return `${columns.length} column${columns.length === 1 ? "" : "s"}${own.length ? `, of them not in the others: ${list}` : ` (${list}, in another order)`}`;
  };
  return `These uploads have different feature columns and cannot be clustered together: ${all
    .map((g) => `${g.labels.map((l) => `“${l}”`).join(", ")} (${describe(g.columns)})`)
    .join("; ")}. Choose uploads with the same columns.`;
}

/** Pre-selection of the start form: the largest group of uploads with the same columns (the newest on a tie). */
export function compatibleDefault<U extends { id: string; columns: string[] }>(uploads: U[]): string[] {
  const groups = new Map<string, string[]>();
  for (const u of uploads) {
    const key = JSON.stringify(u.columns);
    groups.set(key, [...(groups.get(key) ?? []), u.id]);
  }
  let best: string[] = [];
  for (const ids of groups.values()) if (ids.length > best.length) best = ids;
  return best;
}

/** What both parties know of a base run (the CSP's row): enough to check an extension. */
export type BaseRun = { id: string; status: string; k: number; n: number; p: number; uploadIds: string[]; columns: string[] };

/**
 * The checks of starting a run that need no stored features, made by both parties in the same
 * order and words: the authority before it seals the run's seed (with `hasMass`, whether it
 * holds the base run's centers' mass), the CSP again before it creates the run row. `base` is
 * the run named by `baseRunId` (null: there is none). Returns the uploads to read and k.
 */
export function checkRunStart(input: { uploadIds: string[]; k?: number; baseRunId?: string | null }, base: BaseRun | null, hasMass?: boolean) {
  const added = [...new Set(input.uploadIds)];
  if (added.length === 0 || added.length > RUN_LIMITS.maxUploads) throw new AppError("VALIDATION", `Choose 1 to ${RUN_LIMITS.maxUploads} uploads.`);
  if (input.baseRunId) {
    if (!base) throw new AppError("NOT_FOUND", "No such clustering run to extend.");
    if (base.status !== "SUCCEEDED") throw new AppError("INVALID_STATE", "Only a finished (succeeded) run can be extended.");
    if (hasMass === false) throw new AppError("INVALID_STATE", "This run was made before incremental clustering; start a full run instead.");
    if (base.columns.length !== base.p) throw new AppError("INVALID_STATE", "This run does not record its feature columns; start a full run instead.");
  }
  const extended = input.baseRunId ? base : null;
  const k = extended ? extended.k : input.k;
  if (extended && input.k !== undefined && input.k !== extended.k) throw new AppError("VALIDATION", `An extension keeps the base run's k = ${extended.k}.`);
  if (k === undefined || !Number.isInteger(k) || k < RUN_LIMITS.minK || k > RUN_LIMITS.maxK)
    throw new AppError("VALIDATION", `k must be ${RUN_LIMITS.minK} to ${RUN_LIMITS.maxK}.`);
  const already = extended ? added.filter((id) => extended.uploadIds.includes(id)) : [];
  if (already.length)
    throw new AppError(
      "VALIDATION",
      `Upload${already.length > 1 ? "s" : ""} ${already.join(", ")} ${already.length > 1 ? "are" : "is"} already in the base run.`,
    );
  return { added, k };
}
