import { z } from "./zod";
import { base64Bytes } from "./authority";
import { UPLOAD_LIMITS } from "@/lib/uploads/protocol";

/** PostgreSQL text cannot hold NUL; refuse it as a field error instead of failing in the database. */
export const noNul = (s: string) => !s.includes("\u0000");
const NUL_MESSAGE = "Must not contain NUL characters.";

const versions = z
  .record(z.string().max(120).refine(noNul, NUL_MESSAGE), z.number().int().positive())
  .refine((v) => Object.keys(v).length <= 128, "Too many attributes.");

/** SHA-256, lower-case hex. */
export const sourceDigestSchema = z.string().regex(/^[0-9a-f]{64}$/, "A source digest is 64 lower-case hex digits.");

export const decisionModeSchema = z.enum(["automatic", "hospital"]);

export const startUploadSchema = z.object({
  /** Chosen by the browser and covered by the hospital's signature; accepted once. */
  uploadId: z.uuid(),
  label: z.string().trim().min(1, "Give the upload a short label.").max(120).refine(noNul, NUL_MESSAGE),
  format: z.enum(["csv", "fhir"]),
  envelope: base64Bytes(UPLOAD_LIMITS.maxEnvelopeBytes),
  keyVersions: versions,
  recordCount: z.number().int().min(1).max(UPLOAD_LIMITS.maxRecords),
  chunkCount: z.number().int().min(1).max(10_000),
  totalBytes: z.number().int().min(1).max(UPLOAD_LIMITS.maxTotalBytes),
  signature: base64Bytes(64 * 1024),
  signaturePolicy: z.string().min(3).max(4096).refine(noNul, NUL_MESSAGE),
  signatureVersions: versions,
  /** Re-encryption: the older upload (same organisation) this one replaces once stored. */
  replaces: z.uuid().optional(),
  /** The browser's salted digest of the source file (lib/uploads/source-digest.ts): warns of a file uploaded twice. Not signed. */
  sourceDigest: sourceDigestSchema.optional(),
  /** Who decides requests for these records: automatically once the ABS verifies, or the hospital (named approver, optional second reviewer). */
  decisionMode: decisionModeSchema.default("automatic"),
  approverId: z.uuid().optional(),
  reviewerId: z.uuid().optional(),
});

const policyText = z.string().trim().min(3).max(4096).refine(noNul, NUL_MESSAGE);

export const policyTemplateSchema = z.object({
  name: z.string().trim().min(2, "Name the template.").max(80).refine(noNul, NUL_MESSAGE),
  policy: policyText,
});

/** A policy to look at (who can read it). */
export const policyTextSchema = z.object({ policy: policyText });
