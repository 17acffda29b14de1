/**
 * What a researcher's browser signs (ABS) to ask for decryption help, and how the access
 * token is bound to the request. Isomorphic.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/** Requests must be signed within this window after they were issued; signatures expire after it. */
export const REQUEST_SIGNATURE_TTL_MS = 15 * 60_000;
/** How long a grant lasts: asked for by the researcher, capped; the CSP stores and enforces the expiry. */
export const ACCESS_PERIOD = { defaultDays: 30, maxDays: 180 } as const;
export const DAY_MS = 86_400_000;

/** Clock skew tolerated between the browser's signing time and the authority's clock. */
export const CLOCK_SKEW_MS = 2 * 60_000;

export const tokenHash = (token: string) => bytesToHex(sha256(new TextEncoder().encode(`medshare-request-token:${token}`)));

export type RequestStatement = {
  requestId: string;
  targetType: string;
  targetId: string;
  nonce: string;
  issuedAt: string;
  tokenHash: string;
  signedAt: string;
};

/** The statement a researcher signs for a request as the authority issued it (`token`: its access token, bound by hash). */
export function requestStatement(
  req: { requestId: string; targetType: string; targetId: string; nonce: string; issuedAt: string; token: string },
  signedAt: string,
): RequestStatement {
  const { requestId, targetType, targetId, nonce, issuedAt } = req;
  return { requestId, targetType, targetId, nonce, issuedAt, tokenHash: tokenHash(req.token), signedAt };
}

/** Canonical bytes of the statement: request, target, nonce, times and token hash, in this order. */
export function requestSignatureMessage(s: RequestStatement): Uint8Array {
  return new TextEncoder().encode(["medshare-request-v1", s.requestId, s.targetType, s.targetId, s.nonce, s.issuedAt, s.tokenHash, s.signedAt].join("|"));
}
