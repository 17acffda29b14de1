import { putChunk } from "@/lib/csp/uploads";
import { withUser } from "@/lib/http/route";
import { readBodyBytes } from "@/lib/http/read-body";
import { UPLOAD_LIMITS } from "@/lib/uploads/protocol";

type Ctx = { params: Promise<{ id: string; index: string }> };

export const PUT = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id, index } = await params;
  const body = await readBodyBytes(req, UPLOAD_LIMITS.maxChunkBytes);
  return Response.json(await putChunk(id, user.organisation.id, Number(index), body));
});
