import { createHash } from "node:crypto";
import { listPublicKeys } from "@/lib/authority/catalogue";
import { requireApproved } from "@/lib/auth/session";
import { isDatabaseUnreachable } from "@/lib/db/outage";
import { AppError, toActionError } from "@/lib/errors";
import { errorResponse } from "@/lib/http/route";

/**
 * The attribute catalogue's public verification keys (every version), for browsers that
 * encrypt, check issued keys or verify signatures. Approved people only; cacheable by them.
 */
export async function GET(request: Request) {
  try {
    await requireApproved();
  } catch (error) {
    // An outage is a 503 and any other failure a 500: "not allowed" only when the session says so.
    if (isDatabaseUnreachable(error) || !(error instanceof AppError)) return errorResponse(error);
    const e = toActionError(error);
    return Response.json({ error: e.message }, { status: error instanceof AppError && error.code === "UNAUTHENTICATED" ? 401 : 403 });
  }
  const keys = await listPublicKeys().catch((error: unknown) => error);
  if (!Array.isArray(keys)) return errorResponse(keys);
  const body = JSON.stringify({ suite: "MEDSHARE-ABE-OD-V1/BLS12-381", keys });
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  const headers = { "Content-Type": "application/json", ETag: etag, "Cache-Control": "private, max-age=60, must-revalidate" };
  if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  return new Response(body, { headers });
}
