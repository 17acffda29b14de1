import { uploadLogProofSchema } from "@/lib/ledger/check-upload";
import { z } from "./zod";
import { base64Bytes } from "./authority";
import { noNul } from "./upload";
import { ACCESS_PERIOD } from "@/lib/requests/protocol";

export { ACCESS_PERIOD };

export const createRequestSchema = z
  .object({
    periodDays: z
      .number()
      .int("Whole days only.")
      .min(1, "At least one day.")
      .max(ACCESS_PERIOD.maxDays, `At most ${ACCESS_PERIOD.maxDays} days.`)
      .default(ACCESS_PERIOD.defaultDays),
    uploadIds: z.array(z.uuid()).max(50).optional(),
    cluster: z.object({ runId: z.uuid(), cluster: z.number().int().min(0).max(63) }).optional(),
    purpose: z.string().trim().min(10, "Describe the purpose of use (at least 10 characters).").max(1000).refine(noNul, "Must not contain NUL characters."),
    /** The researcher accepted the terms of use of the hospitals whose records are asked for (issue #15). */
    acceptTerms: z.literal(true, "Accept the hospitals' terms of use to ask for their records."),
  })
  .refine((v) => Boolean(v.cluster) !== Boolean(v.uploadIds?.length), { message: "Choose a cluster or at least one dataset.", path: ["uploadIds"] });

export const submitSignatureSchema = z.object({
  requestId: z.uuid(),
  token: z.string().min(20).max(100),
  signature: base64Bytes(256 * 1024),
  signatureVersions: z.record(z.string().max(120).refine(noNul), z.number().int().positive()),
  signedAt: z.iso.datetime(),
});

/** How the request ended in the researcher's browser (lib/actions/requests/report-outcome.ts). */
export const requestOutcomeSchema = z.object({
  requestId: z.uuid(),
  outcome: z.enum(["decrypted", "refused", "failed"]),
  detail: z.string().max(300).refine(noNul).optional(),
});

export const withdrawGrantSchema = z.object({
  requestId: z.uuid(),
  reason: z.string().trim().min(3, "Give a reason (at least 3 characters).").max(500).refine(noNul, "Must not contain NUL characters."),
});
export const requestIdSchema = z.object({ requestId: z.uuid() });

export const verificationFailureSchema = z.object({
  requestId: z.uuid(),
  uploadId: z.uuid(),
  detail: z.string().max(300).refine(noNul),
});

/**
 * What GET /api/requests/:id/data answers (lib/csp/requests.ts `requestData`, served through the
 * portal), defined once: the route answers it and the researcher's browser parses it before
 * anything reaches the decryption worker (components/research/decrypt.worker.ts).
 */
export const requestUploadSchema = z.object({
  uploadId: z.uuid(),
  label: z.string(),
  policy: z.string(),
  organisationId: z.uuid(),
  envelope: z.string(),
  partialDecryption: z.string().nullable(),
  missing: z.array(z.string()),
  /** For a cluster request: the records of this upload in the cluster (the browser opens only these). */
  recordIndices: z.array(z.number().int().nonnegative()).nullable(),
  /** Cluster requests: the cluster's records' typicality to it, as 10 bin counts over [0, 1] (an aggregate of the run). */
  clusterTypicality: z.array(z.number().int().nonnegative()).length(10).nullable(),
  /** What the hospital signed besides the envelope (lib/uploads/protocol uploadSignatureMessage). */
  source: z.object({
    signature: z.string(),
    policy: z.string(),
    versions: z.record(z.string(), z.number().int()),
    gid: z.string(),
    chunkCount: z.number().int(),
    totalBytes: z.number().int(),
  }),
  /** Cluster requests: only the cluster's records, each with its inclusion proof against the envelope's records root (null for a whole upload). */
  records: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      id: z.string(),
      ct: z.string(),
      proof: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive(), path: z.array(z.string()).max(64) }).nullable(),
    }),
  ),
});
export type RequestUpload = z.infer<typeof requestUploadSchema>;
/**
 * The answer: each upload with the proof that its UPLOAD_STORED entry is in the CSP's
 * transparency log (null when the CSP has none), and the CSP's log key the portal was configured
 * with; the decryption worker checks both before it opens anything.
 */
export const requestDataSchema = z.object({
  uploads: z.array(requestUploadSchema.extend({ log: uploadLogProofSchema.nullable() })),
  logPublicKey: z.string().regex(/^[0-9a-f]{64}$/),
});
export type RequestDataUpload = z.infer<typeof requestDataSchema>["uploads"][number];

/** The owner's decision on a request (lib/actions/requests/decide-request.ts): approve, narrow (fewer records, a shorter period) or deny with a reason. */
export const decideRequestSchema = z
  .object({
    requestId: z.uuid(),
    decision: z.enum(["approve", "deny"]),
    reason: z.string().trim().max(500).refine(noNul, "Must not contain NUL characters.").optional(),
    records: z.number().int("Whole records only.").min(1, "At least one record.").max(1_000_000).optional(),
    periodDays: z.number().int("Whole days only.").min(1, "At least one day.").max(ACCESS_PERIOD.maxDays).optional(),
  })
  .refine((v) => v.decision === "approve" || (v.reason?.length ?? 0) >= 3, {
    message: "Give the reason for the denial (at least 3 characters).",
    path: ["reason"],
  });
