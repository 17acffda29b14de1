import { cspCall } from "@/lib/parties/csp-client";
import { withUser } from "@/lib/http/route";

type Ctx = { params: Promise<{ id: string }> };

/** Which chunks the CSP has, so an interrupted upload resumes where it stopped. */
export const GET = withUser(["HOSPITAL_STAFF"], async (_req, user, { params }: Ctx) => {
  const { id } = await params;
  return Response.json(await cspCall("uploads.progress", { uploadId: id }, { org: user.organisation.id }));
});

/** Discards an unfinished upload and its chunks (audited). */
export const DELETE = withUser(["HOSPITAL_STAFF"], async (_req, user, { params }: Ctx) => {
  const { id } = await params;
  await cspCall("uploads.abandon", { uploadId: id }, { org: user.organisation.id, sub: user.id });
  return new Response(null, { status: 204 });
});
