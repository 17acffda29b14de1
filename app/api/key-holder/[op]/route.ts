import { blindPublicKeys, serveKeyHolderCall } from "@/lib/authority/blind-key-holder";
import { ckksPublicKeysById } from "@/lib/authority/ckks";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http/error-response";
import { serviceRole } from "@/lib/parties/role";
import { toWireBody } from "@/lib/parties/wire";

type Ctx = { params: Promise<{ op: string }> };

const notHere = () => Response.json({ error: { code: "NOT_FOUND", message: "Not here: the key holder is the authority's service." } }, { status: 404 });

/**
 * The blind protocol's key holder (lib/authority/blind-key-holder.ts), served by the authority's
 * process: GET /api/key-holder/keys gives the deployment's public material (public key for the
 * hospitals, relinearisation keys for the CSP), or with `?id=<keyId>` a standard key pair's
 * evaluation keys (relinearisation and Galois keys: the CSP's worker needs them for a run); POST /api/key-holder/<call> is the CSP's call for one run.
 */
export async function GET(req: Request, { params }: Ctx) {
  if (serviceRole() !== "authority" || (await params).op !== "keys") return notHere();
  try {
    const id = new URL(req.url).searchParams.get("id");
    if (id !== null && !/^[0-9a-f-]{36}$/.test(id)) throw new AppError("VALIDATION", "A key's id is a UUID.");
    const { body, contentType } = toWireBody(id ? await evalKeys(id) : await blindPublicKeys());
    return new Response(body, { headers: { "Content-Type": contentType, "Cache-Control": "public, max-age=300" } });
  } catch (error) {
    return errorResponse(error);
  }
}

export async function POST(req: Request, { params }: Ctx) {
  if (serviceRole() !== "authority") return notHere();
  return serveKeyHolderCall(req, (await params).op);
}

/** A standard CKKS key pair's evaluation keys (public material: they decrypt nothing). */
async function evalKeys(keyId: string) {
  const { publicKeys } = await ckksPublicKeysById(keyId);
  const { paramsId, relinKeys, galoisKeys, rotationSteps } = publicKeys;
  return { keyId, paramsId, relinKeys, galoisKeys, rotationSteps };
}
