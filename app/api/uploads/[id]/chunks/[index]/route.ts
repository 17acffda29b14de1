import { putChunk } from "@/lib/csp/uploads";
import { AppError } from "@/lib/errors";
import { withUser } from "@/lib/http/route";
import { parseChunkIndex, UPLOAD_LIMITS } from "@/lib/uploads/protocol";

type Ctx = { params: Promise<{ id: string; index: string }> };

/**
 * Reads the body but stops at `limit` bytes, whatever Content-Length claims (chunked bodies
 * have none): an oversize chunk is refused without being held in memory.
 */
async function readCapped(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) throw new AppError("VALIDATION", "Chunk too large.");
  if (!req.body) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new AppError("VALIDATION", "Chunk too large.");
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const PUT = withUser(["HOSPITAL_STAFF"], async (req, user, { params }: Ctx) => {
  const { id, index: text } = await params;
  const index = parseChunkIndex(text);
  if (index === null) throw new AppError("VALIDATION", "A chunk index is a plain decimal number (0, 1, 2, …).");
  const body = await readCapped(req, UPLOAD_LIMITS.maxChunkBytes);
  return Response.json(await putChunk(id, user.organisation.id, index, body));
});
