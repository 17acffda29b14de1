import { z } from "zod";
import { AppError } from "@/lib/errors";
import { withUser } from "@/lib/http/route";
import { logPublicKey } from "@/lib/ledger/log-keys";
import { cspCall } from "@/lib/parties/csp-client";

type Ctx = { params: Promise<{ id: string }> };
const since = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional();

/**
 * The proof that this organisation's upload is in the CSP's transparency log, for its browser to
 * check (lib/ledger/check-upload.ts), with the CSP's log key the authority was configured with
 * (MEDSHARE_CSP_LOG_PUBLIC_KEY). `?since=` is the size of the last head the browser kept.
 */
export const GET = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id } = await params;
  const parsed = since.safeParse(new URL(req.url).searchParams.get("since") ?? undefined);
  if (!parsed.success) throw new AppError("VALIDATION", "since: a log size (a whole number).");
  const publicKey = logPublicKey("csp");
  if (!publicKey) throw new AppError("UNAVAILABLE", "The CSP's log key is not configured (MEDSHARE_CSP_LOG_PUBLIC_KEY).");
  const proof = await cspCall("log.uploadProof", { uploadId: id, since: parsed.data }, { org: user.organisation.id });
  return Response.json({ ...proof, publicKey }, { headers: { "Cache-Control": "no-store" } });
});
