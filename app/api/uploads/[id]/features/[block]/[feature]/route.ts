import { FEATURE_LIMITS, putFeatureCiphertext } from "@/lib/csp/features";
import { AppError } from "@/lib/errors";
import { withUser } from "@/lib/http/route";

type Ctx = { params: Promise<{ id: string; block: string; feature: string }> };

/** One feature ciphertext (SEAL `saveArray` bytes, application/octet-stream); resending the same bytes is harmless. */
export const PUT = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id, block, feature } = await params;
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > FEATURE_LIMITS.maxCiphertextBytes) throw new AppError("VALIDATION", "Ciphertext too large.");
  const body = new Uint8Array(await req.arrayBuffer());
  return Response.json(await putFeatureCiphertext(id, user.organisation.id, Number(block), Number(feature), body));
});
