import { cspCall } from "@/lib/parties/csp-client";
import { AppError } from "@/lib/errors";
import { readBodyBytes } from "@/lib/http/read-body";
import { withUser } from "@/lib/http/route";
import { parseChunkIndex, UPLOAD_LIMITS } from "@/lib/uploads/protocol";

type Ctx = { params: Promise<{ id: string; index: string }> };

export const PUT = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id, index: text } = await params;
  const index = parseChunkIndex(text);
  if (index === null) throw new AppError("VALIDATION", "A chunk index is a plain decimal number (0, 1, 2, …).");
  // capped while streaming (chunked bodies have no Content-Length); the gateway caps it first
  const body = await readBodyBytes(req, UPLOAD_LIMITS.maxChunkBytes);
  return Response.json(await cspCall("uploads.putChunk", { uploadId: id, index, data: body }, { org: user.organisation.id }));
});
