import { cspCall } from "@/lib/parties/csp-client";
import { AppError } from "@/lib/errors";
import { withUser } from "@/lib/http/route";
import { readJsonBody } from "@/lib/http/read-body";
import { BODY_LIMITS } from "@/lib/gateway/limits";
import { beginFeaturesSchema } from "@/lib/validation/clustering";

type Ctx = { params: Promise<{ id: string }> };

/**
 * Declares the upload's CKKS-encrypted feature tensors: {paramsId, keyId, n, p, columns, blocks}.
 * Then PUT each block (or run of a block, lib/uploads/feature-batch.ts) to ./[block] and POST ./complete. Repeating it resumes and says what each block already has.
 */
export const POST = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id } = await params;
  const parsed = beginFeaturesSchema.safeParse(await readJsonBody(req, BODY_LIMITS.api));
  if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return Response.json(await cspCall("features.begin", { uploadId: id, ...parsed.data }, { org: user.organisation.id }), { status: 201 });
});
