import "server-only";
import { db } from "@/lib/db/client";
import { cspCall } from "@/lib/parties/csp-client";

/**
 * Stored uploads the clustering picker cannot offer (no or incomplete encrypted clustering
 * tensors at the CSP), with their organisations' names and why: for authority admins.
 */
export async function uploadsWithoutFeatures() {
  const uploads = await cspCall("features.missing", {});
  const orgs = await db().organisation.findMany({
    where: { id: { in: [...new Set(uploads.map((u) => u.organisationId))] } },
    select: { id: true, name: true },
  });
  const name = new Map(orgs.map((o) => [o.id, o.name]));
  return uploads.map(({ organisationId, ...u }) => ({ ...u, organisation: name.get(organisationId) ?? "—" }));
}
