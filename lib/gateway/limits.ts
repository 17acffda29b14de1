/**
 * Request body limits per route, enforced by the front gateway while the body streams in
 * (lib/gateway/server.ts) and again inside the route handlers (lib/http/read-body.ts).
 * Pure and dependency-free: the supervisor process imports it without the app.
 */
export const KiB = 1024;
export const MiB = 1024 * KiB;

export const BODY_LIMITS = {
  /** next-auth sign-in and callbacks: an e-mail, a password and a CSRF token. */
  auth: 16 * KiB,
  /** Next's own server-action cap (bodySizeLimit "1mb"). */
  serverAction: 1 * MiB,
  /** PUT /api/uploads/:id/chunks/:index: UPLOAD_LIMITS.maxChunkBytes (lib/uploads/protocol.ts). */
  uploadChunk: 1 * MiB,
  /** PUT /api/uploads/:id/features/stats: FEATURE_LIMITS.maxCiphertextBytes (lib/csp/features.ts). */
  featureCiphertext: 1 * MiB,
  /** PUT /api/uploads/:id/features/:block, a run of a block's ciphertexts: FEATURE_BATCH.maxBodyBytes (lib/uploads/feature-batch.ts), under Next's 10 MiB proxy cap. */
  featureRun: 8 * MiB,
  /** POST /api/uploads: the signed envelope (UPLOAD_LIMITS.maxEnvelopeBytes) in base64 inside JSON. */
  uploadStart: 1 * MiB,
  /** POST /api/csp/:op, one call on the CSP's API: a chunk or ciphertext as raw bytes in a wire body, or base64 inside JSON (lib/csp/api/serve.ts). */
  cspCall: 2 * MiB,
  /** POST /api/csp/features.putBlock: a feature run (featureRun) plus the wire header. */
  cspFeatureRun: 8 * MiB + 64 * KiB,
  /** POST /api/key-holder/:call, the CSP's call on the blind protocol's key holder: ciphertexts as raw bytes, split by the CSP below Next's 10 MiB proxy cap. */
  keyHolderCall: 8 * MiB + 64 * KiB,
  /** Small JSON bodies of the other API routes (e.g. the feature declaration: 256 column names). */
  api: 128 * KiB,
  /** Pages take no body except server actions posted by forms (handled as serverAction). */
  other: 16 * KiB,
} as const;

const UPLOAD_CHUNK = /^\/api\/uploads\/[^/]+\/chunks\/[^/]+\/?$/;
const FEATURE_STATS = /^\/api\/uploads\/[^/]+\/features\/stats\/?$/;
const FEATURE_RUN = /^\/api\/uploads\/[^/]+\/features\/\d+\/?$/;

/** The largest body this request may carry. `isAction`: it has a Next-Action header or posts a form to a page. */
export function bodyLimit(method: string, pathname: string, isAction: boolean): number {
  if (method === "GET" || method === "HEAD") return 0;
  if (pathname.startsWith("/api/auth/")) return BODY_LIMITS.auth;
  if (method === "PUT" && UPLOAD_CHUNK.test(pathname)) return BODY_LIMITS.uploadChunk;
  if (method === "PUT" && FEATURE_STATS.test(pathname)) return BODY_LIMITS.featureCiphertext;
  if (method === "PUT" && FEATURE_RUN.test(pathname)) return BODY_LIMITS.featureRun;
  if (method === "POST" && (pathname === "/api/uploads" || pathname === "/api/uploads/")) return BODY_LIMITS.uploadStart;
  if (method === "POST" && (pathname === "/api/csp/features.putBlock" || pathname === "/api/csp/features.putBlock/")) return BODY_LIMITS.cspFeatureRun;
  if (method === "POST" && pathname.startsWith("/api/csp/")) return BODY_LIMITS.cspCall;
  if (method === "POST" && pathname.startsWith("/api/key-holder/")) return BODY_LIMITS.keyHolderCall;
  if (pathname.startsWith("/api/")) return BODY_LIMITS.api;
  if (isAction) return BODY_LIMITS.serverAction;
  return BODY_LIMITS.other;
}
