import { cspCall } from "@/lib/parties/csp-client";
import { withUser } from "@/lib/http/route";

type Ctx = { params: Promise<{ id: string }> };

/** The CSP checks the records against the envelope's commitment and stores them, or rejects all. */
export const POST = withUser(["HOSPITAL_STAFF"], async (_req, user, { params }: Ctx) => {
  const { id } = await params;
  const result = await cspCall("uploads.complete", { uploadId: id }, { org: user.organisation.id, sub: user.id });
  return Response.json(result, { status: "missing" in result ? 409 : 200 });
});
