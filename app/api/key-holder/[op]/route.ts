import { blindPublicKeys, serveKeyHolderCall } from "@/lib/authority/blind-key-holder";
import { errorResponse } from "@/lib/http/error-response";
import { serviceRole } from "@/lib/parties/role";
import { toWireBody } from "@/lib/parties/wire";

type Ctx = { params: Promise<{ op: string }> };

const notHere = () => Response.json({ error: { code: "NOT_FOUND", message: "Not here: the key holder is the authority's service." } }, { status: 404 });

/**
 * The blind protocol's key holder (lib/authority/blind-key-holder.ts), served by the authority's
 * process: GET /api/key-holder/keys gives the deployment's public material (public key for the
 * hospitals, relinearisation keys for the CSP); POST /api/key-holder/<call> is the CSP's call for one run.
 */
export async function GET(_req: Request, { params }: Ctx) {
  if (serviceRole() !== "authority" || (await params).op !== "keys") return notHere();
  try {
    const { body, contentType } = toWireBody(await blindPublicKeys());
    return new Response(body, { headers: { "Content-Type": contentType, "Cache-Control": "public, max-age=300" } });
  } catch (error) {
    return errorResponse(error);
  }
}

export async function POST(req: Request, { params }: Ctx) {
  if (serviceRole() !== "authority") return notHere();
  return serveKeyHolderCall(req, (await params).op);
}
