import { FEATURE_LIMITS } from "@/lib/csp/features";
import { AppError } from "@/lib/errors";
import { cspCall } from "@/lib/parties/csp-client";
import { withUser } from "@/lib/http/route";
import { readBodyBytes } from "@/lib/http/read-body";

type Ctx = { params: Promise<{ id: string; block: string; feature: string }> };

/** One feature ciphertext (SEAL `saveArray` bytes, application/octet-stream); resending the same bytes is harmless. */
export const PUT = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id, block, feature } = await params;
  const body = await readBodyBytes(req, FEATURE_LIMITS.maxCiphertextBytes);
  const [b, f] = [Number(block), Number(feature)];
  if (!Number.isSafeInteger(b) || !Number.isSafeInteger(f) || b < 0 || f < 0)
    throw new AppError("VALIDATION", "Block and feature are plain decimal numbers (0, 1, 2, …).");
  return Response.json(await cspCall("features.put", { uploadId: id, block: b, feature: f, ct: body }, { org: user.organisation.id }));
});
