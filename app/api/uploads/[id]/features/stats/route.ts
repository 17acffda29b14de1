import { FEATURE_LIMITS } from "@/lib/csp/features";
import { cspCall } from "@/lib/parties/csp-client";
import { withUser } from "@/lib/http/route";
import { readBodyBytes } from "@/lib/http/read-body";

type Ctx = { params: Promise<{ id: string }> };

/** The upload's column statistics, CKKS-encrypted in the browser for the key holder (SEAL bytes); resending the same bytes is harmless. */
export const PUT = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id } = await params;
  const body = await readBodyBytes(req, FEATURE_LIMITS.maxCiphertextBytes);
  return Response.json(await cspCall("features.stats", { uploadId: id, ct: body }, { org: user.organisation.id }));
});
