import { cspCall } from "@/lib/parties/csp-client";
import { withUser } from "@/lib/http/route";

type Ctx = { params: Promise<{ id: string }> };

/** Stores the features once every ciphertext is there; 409 with the missing (block, feature) pairs otherwise. */
export const POST = withUser(["HOSPITAL_STAFF"], async (_req, user, { params }: Ctx) => {
  const { id } = await params;
  const result = await cspCall("features.complete", { uploadId: id }, { org: user.organisation.id, sub: user.id });
  return Response.json(result, { status: "missing" in result ? 409 : 200 });
});
