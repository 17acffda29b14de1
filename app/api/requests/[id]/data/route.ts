import { requestData, requestForToken } from "@/lib/csp/requests";
import { AppError } from "@/lib/errors";
import { withUser } from "@/lib/http/route";

type Ctx = { params: Promise<{ id: string }> };

/**
 * The CSP serves a verified request's envelopes, partial decryptions and record ciphertexts,
 * to its requester only, on presentation of the request's access token.
 */
export const GET = withUser(["RESEARCHER"], async (req, user, { params }: Ctx) => {
  const { id } = await params;
  const request = await requestForToken(id, user.id, req.headers.get("x-request-token") ?? "");
  if (request.status !== "READY") throw new AppError("INVALID_STATE", "This request has not been verified yet.");
  return Response.json({ uploads: await requestData(id) }, { headers: { "Cache-Control": "no-store" } });
});
