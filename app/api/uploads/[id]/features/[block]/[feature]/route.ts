import { FEATURE_LIMITS, putFeatureCiphertext } from "@/lib/csp/features";
import { withUser } from "@/lib/http/route";
import { readBodyBytes } from "@/lib/http/read-body";

type Ctx = { params: Promise<{ id: string; block: string; feature: string }> };

/** One feature ciphertext (SEAL `saveArray` bytes, application/octet-stream); resending the same bytes is harmless. */
export const PUT = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id, block, feature } = await params;
  const body = await readBodyBytes(req, FEATURE_LIMITS.maxCiphertextBytes);
  return Response.json(await putFeatureCiphertext(id, user.organisation.id, Number(block), Number(feature), body));
});
