import { z } from "zod";
import { AppError } from "@/lib/errors";
import { withUser } from "@/lib/http/route";
import { logPublicKey } from "@/lib/ledger/log-keys";
import { cspPassThrough } from "@/lib/parties/csp-client";

type Ctx = { params: Promise<{ id: string }> };
const since = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional();

/**
 * The CSP serves a verified request's envelopes, partial decryptions and record ciphertexts,
 * to its requester only, on presentation of the request's access token (it checks both), with
 * each upload's proof of inclusion in the CSP's log and the CSP's log key this portal was
 * configured with. `?since=` is the size of the last CSP log head the browser kept.
 */
export const GET = withUser(["RESEARCHER"], async (req, user, { params }: Ctx) => {
  const { id } = await params;
  const parsed = since.safeParse(new URL(req.url).searchParams.get("since") ?? undefined);
  if (!parsed.success) throw new AppError("VALIDATION", "since: a log size (a whole number).");
  const publicKey = logPublicKey("csp");
  if (!publicKey) throw new AppError("UNAVAILABLE", "The CSP's log key is not configured (MEDSHARE_CSP_LOG_PUBLIC_KEY).");
  // The CSP's answer goes on to the browser as it came (megabytes of ciphertexts, not parsed here).
  const body = await cspPassThrough(
    "requests.data",
    { requestId: id, token: req.headers.get("x-request-token") ?? "", since: parsed.data },
    { sub: user.id },
    "uploads",
    { logPublicKey: publicKey },
  );
  return new Response(body, { headers: { "Content-Type": "application/json", "Cache-Control": "no-store, no-transform" } });
});
