import { FEATURE_LIMITS, putFeatureStats } from "@/lib/csp/features";
import { AppError } from "@/lib/errors";
import { withUser } from "@/lib/http/route";

type Ctx = { params: Promise<{ id: string }> };

/** The upload's column statistics, CKKS-encrypted in the browser for the key holder (SEAL bytes); resending the same bytes is harmless. */
export const PUT = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id } = await params;
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > FEATURE_LIMITS.maxCiphertextBytes) throw new AppError("VALIDATION", "Ciphertext too large.");
  const body = new Uint8Array(await req.arrayBuffer());
  return Response.json(await putFeatureStats(id, user.organisation.id, body));
});
