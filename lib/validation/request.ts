import { z } from "./zod";
import { base64Bytes } from "./authority";
import { noNul } from "./upload";

export const createRequestSchema = z
  .object({
    uploadIds: z.array(z.uuid()).max(50).optional(),
    cluster: z.object({ runId: z.uuid(), cluster: z.number().int().min(0).max(63) }).optional(),
    purpose: z.string().trim().min(10, "Describe the purpose of use (at least 10 characters).").max(1000).refine(noNul, "Must not contain NUL characters."),
  })
  .refine((v) => Boolean(v.cluster) !== Boolean(v.uploadIds?.length), { message: "Choose a cluster or at least one dataset.", path: ["uploadIds"] });

export const submitSignatureSchema = z.object({
  requestId: z.uuid(),
  token: z.string().min(20).max(100),
  signature: base64Bytes(256 * 1024),
  signatureVersions: z.record(z.string().max(120).refine(noNul), z.number().int().positive()),
  signedAt: z.iso.datetime(),
});

export const verificationFailureSchema = z.object({
  requestId: z.uuid(),
  uploadId: z.uuid(),
  detail: z.string().max(300).refine(noNul),
});
