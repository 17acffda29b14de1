import { orOutage } from "@/lib/parties/outage";
import { uploadsWithoutFeatures } from "@/lib/portal/uploads-without-features";

/**
 * Beside the clustering picker: the stored uploads it does not offer and why, so no upload
 * silently goes missing from it. Server component; the page checked the admin role.
 */
export async function UploadsWithoutClusteringData() {
  const listed = await orOutage(uploadsWithoutFeatures());
  if (!listed.data || listed.data.length === 0) return null;
  return (
    <details className="mt-4 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-950" data-testid="uploads-without-clustering-data">
      <summary className="cursor-pointer font-medium">
        {listed.data.length} stored upload{listed.data.length > 1 ? "s are" : " is"} not offered here
      </summary>
      <ul className="mt-2 space-y-2">
        {listed.data.map((u) => (
          <li key={u.id} data-testid={`missing-${u.label}`}>
            <strong>{u.label}</strong>{" "}
            <span className="text-xs">
              ({u.organisation}, {u.recordCount.toLocaleString()} records)
            </span>
            <span className="block text-xs">no clustering data: {u.reason}.</span>
          </li>
        ))}
      </ul>
    </details>
  );
}
