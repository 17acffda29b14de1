import { putChunk } from "@/lib/csp/uploads";
import { AppError } from "@/lib/errors";
import { withUser } from "@/lib/http/route";
import { UPLOAD_LIMITS } from "@/lib/uploads/protocol";

type Ctx = { params: Promise<{ id: string; index: string }> };

export const PUT = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id, index } = await params;
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > UPLOAD_LIMITS.maxChunkBytes) throw new AppError("VALIDATION", "Chunk too large.");
  const body = new Uint8Array(await req.arrayBuffer());
  return Response.json(await putChunk(id, user.organisation.id, Number(index), body));
});
