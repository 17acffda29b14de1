import { z } from "./zod";

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
    uploadIds: z.array(z.uuid()).min(1, "Choose at least one upload.").max(100),
    k: z.number().int().min(2).max(12).optional(),
    baseRunId: z.uuid().optional(),
  })
  .refine((v) => v.k !== undefined || v.baseRunId !== undefined, { message: "Choose the number of clusters k.", path: ["k"] });

export const cancelRunSchema = z.object({ runId: z.uuid() });
