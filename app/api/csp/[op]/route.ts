import { serveCspCall } from "@/lib/csp/api/serve";
import { serviceRole } from "@/lib/parties/role";

type Ctx = { params: Promise<{ op: string }> };

/** The CSP's API (lib/csp/api): served by the CSP's process only, each call with the authority's token. */
export async function POST(req: Request, { params }: Ctx) {
  if (serviceRole() !== "csp") return Response.json({ error: { code: "NOT_FOUND", message: "Not here: this is the authority's service." } }, { status: 404 });
  return serveCspCall(req, (await params).op);
}
