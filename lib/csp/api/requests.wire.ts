import { z } from "zod";
import { ACCESS_PERIOD } from "@/lib/requests/protocol";
import { UPLOAD_LIMITS } from "@/lib/uploads/protocol";
import { bytes, spec, versions } from "./spec";

/**
 * The CSP's API for access requests (lib/csp/requests.ts); merged into ./wire.ts. Every call on
 * an existing request is scoped to it and names its requester (`sub`): the CSP refuses a
 * request that is not theirs. The portal picks a new request's id, so even creating one is
 * scoped to that request.
 */
const id = z.uuid();
const byRequest = (i: { requestId: string }) => i.requestId;
/** The request's access token as the researcher presented it; a wrong one is the CSP's refusal to word, not a schema error. */
const token = z.string().max(1000);

export const requestsApi = {
  /** Public facts of the stored uploads, for researchers to browse. */
  "datasets.list": spec(z.object({}), null),
  "requests.create": spec(
    z.object({
      requestId: id,
      purpose: z.string().max(1000),
      periodDays: z.number().int().min(1).max(ACCESS_PERIOD.maxDays).default(ACCESS_PERIOD.defaultDays),
      /** SHA-256 (hex) of the owners' terms of use the researcher accepted. */
      termsDigest: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
      uploadIds: z.array(id).min(1).max(1000),
      cluster: z
        .object({ runId: id, cluster: z.number().int().min(0).max(63), indices: z.record(id, z.array(z.number().int().min(0)).max(UPLOAD_LIMITS.maxRecords)) })
        .optional(),
    }),
    byRequest,
    ["org", "sub"],
  ),
  /** The request's signed facts, once the CSP has checked the access token is the requester's. */
  "requests.forToken": spec(z.object({ requestId: id, token }), byRequest, ["sub"]),
  /** The requester's transform key (its layers: one per set of key versions), released by the authority after the signature verified. */
  "requests.partialDecrypt": spec(
    z.object({
      requestId: id,
      layers: z
        .array(z.object({ tk: bytes(16_384), keyVersions: versions }))
        .min(1)
        .max(16),
    }),
    byRequest,
    ["sub"],
  ),
  /** A verified request's envelopes, partial decryptions and ciphertexts, on the access token, with each upload's log proof (`since`: the size of the CSP log head the browser kept). */
  "requests.data": spec(z.object({ requestId: id, token, since: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() }), byRequest, ["sub"], {
    plain: true,
  }),
  /** Whether the request exists and is the caller's (no token needed: reveals nothing new to them). */
  "requests.get": spec(z.object({ requestId: id }), byRequest, ["sub"]),
  /** All requests, for the authority's admin page: the portal signs this only after its admin check. */
  "requests.list": spec(z.object({}), null),
  /** Requests for the calling organisation's uploads (the owner's view), newest first. */
  "requests.forOrganisation": spec(z.object({}), null, ["org"]),
  /** The owner (staff of an organisation whose upload the request covers) ends the grant at once. */
  "requests.withdraw": spec(z.object({ requestId: id, reason: z.string().max(500) }), byRequest, ["org", "sub"]),
  /** The owner extends a granted request by its period, from now. */
  "requests.renew": spec(z.object({ requestId: id }), byRequest, ["org", "sub"]),
  /** The named approver or second reviewer (`sub`, of organisation `org`) approves, narrows or denies; the CSP checks who may. */
  "requests.decide": spec(
    z.object({
      requestId: id,
      decision: z.enum(["approve", "deny"]),
      reason: z.string().max(500).optional(),
      records: z.number().int().min(1).max(UPLOAD_LIMITS.maxRecords).optional(),
      periodDays: z.number().int().min(1).max(ACCESS_PERIOD.maxDays).optional(),
    }),
    byRequest,
    ["org", "sub"],
  ),
  /** The requester asks the owner to renew the grant. */
  "requests.askRenewal": spec(z.object({ requestId: id }), byRequest, ["sub"]),
  /** The requester's own requests with their grant's state. */
  "requests.mine": spec(z.object({}), null, ["sub"]),
} as const;
