import { z } from "zod";
import { sourceDigestSchema, startUploadSchema } from "@/lib/validation/upload";
import { beginFeaturesSchema } from "@/lib/validation/clustering";
import { UPLOAD_LIMITS } from "@/lib/uploads/protocol";
import { uploadNoteSchema } from "@/lib/validation/notes";
import { FEATURE_BATCH } from "@/lib/uploads/feature-batch";
import { BODY_LIMITS } from "@/lib/gateway/limits";

/**
 * The CSP's API, defined once: for every operation the portal (the authority's process) may
 * call, its input schema, and which resource the authority's token must name for it (the
 * upload, request or run the call touches). Both sides use this file: the client
 * (lib/parties/csp-client.ts) to build the call, the CSP (./handlers.ts) to check it.
 * `needs` lists the claims the token must carry: `org` (the organisation acting), `sub` (the
 * person acting, the audit actor).
 */
import { bytes, spec, versions } from "./spec";
import { requestsApi } from "./requests.wire";
import { clusteringApi } from "./clustering.wire";

const id = z.uuid();
const vkMap = z.record(z.string().max(120), bytes(4096));
const byUpload = (i: { uploadId: string }) => i.uploadId;

export const cspApi = {
  // ---- uploads: the envelope, its checks, the record chunks (lib/csp/uploads.ts)
  "uploads.begin": spec(
    startUploadSchema.omit({ envelope: true, signature: true }).extend({
      envelope: bytes(UPLOAD_LIMITS.maxEnvelopeBytes),
      signature: bytes(64 * 1024),
      signerGid: z.string().min(1).max(200),
      vks: z.object({ policy: vkMap, signature: vkMap }),
    }),
    (i) => i.uploadId,
    ["org", "sub"],
  ),
  "uploads.putChunk": spec(z.object({ uploadId: id, index: z.number().int().min(0), data: bytes(UPLOAD_LIMITS.maxChunkBytes) }), byUpload, ["org"]),
  "uploads.progress": spec(z.object({ uploadId: id }), byUpload, ["org"]),
  "uploads.complete": spec(z.object({ uploadId: id }), byUpload, ["org", "sub"]),
  "uploads.abandon": spec(z.object({ uploadId: id }), byUpload, ["org", "sub"]),
  "uploads.list": spec(z.object({ currentVersions: versions }), null, ["org"]),
  "uploads.get": spec(z.object({ uploadId: id }), byUpload, ["org"]),
  "uploads.byDigest": spec(z.object({ sourceDigest: sourceDigestSchema }), null, ["org"]),
  /** The organisation's note on its upload; deleting a stored upload removes its ciphertexts. */
  "uploads.describe": spec(z.object({ uploadId: id, note: uploadNoteSchema }), byUpload, ["org", "sub"]),
  "uploads.delete": spec(z.object({ uploadId: id }), byUpload, ["org", "sub"]),
  // ---- clustering features of an upload (lib/csp/features.ts)
  "features.begin": spec(beginFeaturesSchema.extend({ uploadId: id }), byUpload, ["org"]),
  /** A run of one block's ciphertexts, as the browser encoded it (lib/uploads/feature-batch.ts); the CSP decodes and checks each. */
  "features.putBlock": spec(z.object({ uploadId: id, block: z.number().int().min(0), batch: bytes(FEATURE_BATCH.maxBodyBytes) }), byUpload, ["org"], {
    body: BODY_LIMITS.cspFeatureRun,
  }),
  "features.stats": spec(z.object({ uploadId: id, ct: bytes(1 << 20) }), byUpload, ["org"]),
  "features.complete": spec(z.object({ uploadId: id }), byUpload, ["org", "sub"]),
  "features.missing": spec(z.object({}), null),
  // ---- the CSP's own log, for the authority's admins (lib/ledger)
  "ledger.entries": spec(
    z.object({
      take: z.number().int().min(1).max(500),
      /** Paging: only entries older than this sequence number. */
      before: z
        .string()
        .regex(/^[1-9][0-9]{0,18}$/)
        .optional(),
      action: z
        .string()
        .regex(/^[A-Z][A-Z_]{0,63}$/)
        .optional(),
      actorId: z.uuid().optional(),
    }),
    null,
  ),
  "ledger.verify": spec(z.object({}), null),
  // ---- the transparency log (lib/ledger/witness.ts, lib/ledger/upload-proof.ts)
  "log.witnessState": spec(z.object({}), null),
  "log.witnessNow": spec(z.object({}), null),
  "log.uploadProof": spec(z.object({ uploadId: id, since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() }), byUpload, ["org"]),
  ...requestsApi,
  ...clusteringApi,
} as const;

export type CspOp = keyof typeof cspApi;
export type CspInput<K extends CspOp> = z.input<(typeof cspApi)[K]["input"]>;
export const isCspOp = (name: string): name is CspOp => Object.hasOwn(cspApi, name);
