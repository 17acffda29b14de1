import { withUser } from "@/lib/http/route";
import { cspCall } from "@/lib/parties/csp-client";

type Ctx = { params: Promise<{ id: string }> };

/**
 * The CSP serves a verified request's envelopes, partial decryptions and record ciphertexts,
 * to its requester only, on presentation of the request's access token (it checks both).
 */
export const GET = withUser(["RESEARCHER"], async (req, user, { params }: Ctx) => {
  const { id } = await params;
  const uploads = await cspCall("requests.data", { requestId: id, token: req.headers.get("x-request-token") ?? "" }, { sub: user.id });
  return Response.json({ uploads }, { headers: { "Cache-Control": "no-store" } });
});
