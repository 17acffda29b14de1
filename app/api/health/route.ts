import { ownHealth } from "@/lib/parties/health";

export const dynamic = "force-dynamic";

/** Liveness of this service and its database, for /admin and operators: no secrets, no data. */
export async function GET() {
  const report = await ownHealth();
  return Response.json(report, { status: report.database === "ok" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
