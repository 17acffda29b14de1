import { db } from "@/lib/db/client";
import { serviceRole } from "@/lib/parties/role";
import pkg from "@/package.json" with { type: "json" };

export const dynamic = "force-dynamic";

/** Liveness of this service and its database, for /admin and operators: no secrets, no data. */
export async function GET() {
  const role = serviceRole();
  const database = await db()
    .$queryRaw`SELECT 1`
    .then(() => "ok" as const)
    .catch(() => "unreachable" as const);
  return Response.json({ service: role, version: pkg.version, database, at: new Date().toISOString() }, { status: database === "ok" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
