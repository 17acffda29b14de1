import { AppError } from "@/lib/errors";
import { z } from "./zod";

/** Bounds of a clustering run (the start form, the authority and the CSP check the same). */
export const RUN_LIMITS = { minK: 2, maxK: 12, maxUploads: 100, minRecordsPerUpload: 10 } as const;

/** Begin an upload's encrypted features (POST /api/uploads/[id]/features). */
export const beginFeaturesSchema = z.object({
  paramsId: z.string().regex(/^[0-9a-f]{1,128}$/, "paramsId must be hex."),
  keyId: z.uuid(),
  n: z.number().int().min(1),
  p: z.number().int().min(1).max(256),
  columns: z.array(z.string().min(1).max(200)).min(1).max(256),
  blocks: z.number().int().min(1).max(10_000),
});

/** A full run (uploadIds, k) or an extension of a finished run (baseRunId, the uploads to add; k is the base run's). */
export const startRunSchema = z
  .object({
    uploadIds: z.array(z.uuid()).min(1, "Choose at least one upload.").max(RUN_LIMITS.maxUploads),
    k: z.number().int().min(RUN_LIMITS.minK).max(RUN_LIMITS.maxK).optional(),
    baseRunId: z.uuid().optional(),
  })
  .refine((v) => v.k !== undefined || v.baseRunId !== undefined, { message: "Choose the number of clusters k.", path: ["k"] });

export const cancelRunSchema = z.object({ runId: z.uuid() });

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
  if (k === undefined || !Number.isInteger(k) || k < RUN_LIMITS.minK || k > RUN_LIMITS.maxK) throw new AppError("VALIDATION", `k must be ${RUN_LIMITS.minK} to ${RUN_LIMITS.maxK}.`);
  const already = extended ? added.filter((id) => extended.uploadIds.includes(id)) : [];
  if (already.length) throw new AppError("VALIDATION", `Upload${already.length > 1 ? "s" : ""} ${already.join(", ")} ${already.length > 1 ? "are" : "is"} already in the base run.`);
  return { added, k };
}
