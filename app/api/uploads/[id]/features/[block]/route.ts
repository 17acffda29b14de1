import { AppError } from "@/lib/errors";
import { cspCall } from "@/lib/parties/csp-client";
import { withUser } from "@/lib/http/route";
import { readBodyBytes } from "@/lib/http/read-body";
import { decodeFeatureBatch, FEATURE_BATCH, FeatureBatchError } from "@/lib/uploads/feature-batch";

type Ctx = { params: Promise<{ id: string; block: string }> };

/**
 * A run of one block's feature ciphertexts (lib/uploads/feature-batch.ts: usually the whole
 * block, at most FEATURE_BATCH.maxBodyBytes), stored by the CSP whole or not at all; resending
 * the same bytes is harmless.
 */
export const PUT = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id, block } = await params;
  if (!/^\d{1,9}$/.test(block)) throw new AppError("VALIDATION", "The block is a plain decimal number (0, 1, 2, …).");
  const body = await readBodyBytes(req, FEATURE_BATCH.maxBodyBytes);
  // A malformed body is refused here, before it crosses to the CSP (which decodes and checks it again).
  try {
    decodeFeatureBatch(body);
  } catch (error) {
    if (error instanceof FeatureBatchError) throw new AppError("VALIDATION", `Feature batch rejected: ${error.message}.`);
    throw error;
  }
  return Response.json(await cspCall("features.putBlock", { uploadId: id, block: Number(block), batch: body }, { org: user.organisation.id }));
});
