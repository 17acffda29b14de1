import { MyRequests } from "@/components/grants/my-requests";
import { RequestFlow, type ClusterView, type DatasetView } from "@/components/research/request-flow";
import { listClusters } from "@/lib/clustering/portal";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { PartyOutage } from "@/components/ui/party-outage";
import { forYou, forYouAll, type Holdings } from "@/lib/requests/for-you";
import { requirePageUser } from "@/lib/auth/page-guard";
import { myKeyMaterial } from "@/lib/authority/keys";
import { cspCall } from "@/lib/parties/csp-client";
import { orOutage } from "@/lib/parties/outage";
import { myGrants } from "@/lib/portal/grants";
import { organisationsOf } from "@/lib/portal/organisation";

export const metadata = { title: "Research" };

export default async function ResearchPage() {
  const user = await requirePageUser(["RESEARCHER"], "/research");
  const [material, listed, mine] = await Promise.all([
    myKeyMaterial(user.id),
    orOutage(Promise.all([cspCall("datasets.list", {}), listClusters()])),
    orOutage(myGrants(user)),
  ]);
  const [datasets, clusterList] = listed.data ?? [[], []];
  const orgs = await organisationsOf(datasets.map((d) => d.organisationId));
  // "For you" from what this person holds: attributes, key versions issued, transform-key coverage (issue #15).
  const holdings: Holdings = {
    grants: Object.fromEntries(material.grants.map((g) => [g.attribute, g.currentVersion])),
    keys: material.keys.map((k) => `${k.attribute}@${k.version}`),
    transformCovers: material.transformKey?.covers ?? null,
  };
  const byId = new Map(datasets.map((d) => [d.id, d]));
  const verdict = (d: { policy: string; keyVersions: unknown }) => forYou(d.policy, d.keyVersions as Record<string, number>, holdings);
  const terms = orgs.map((o) => ({ organisation: o.name, terms: o.terms }));
  // Requests that waited for their hospital and were approved: decrypted from here, with the token kept in the browser.
  const approved = (mine.data ?? [])
    .filter((r) => r.decision === "approved" && r.status === "READY" && !r.outcome && !r.withdrawnAt && !r.expired)
    .map((r) => ({ id: r.id, purpose: r.purpose, narrowed: r.narrowed }));
  const views: DatasetView[] = datasets.map((d) => {
    const f = verdict(d);
    return {
      id: d.id,
      label: d.label,
      policy: d.policy,
      recordCount: d.recordCount,
      organisation: orgs.find((o) => o.id === d.organisationId)?.name ?? "—",
      canOpen: f.ok,
      missing: f.missing,
      forYou: f,
    };
  });
  const clusters: ClusterView[] = clusterList.map((c) => {
    const f = forYouAll(
      c.uploadIds
        .map((id) => byId.get(id))
        .filter((d) => d !== undefined)
        .map(verdict),
    );
    const { missing } = f;
    return {
      runId: c.runId,
      runName: c.runName,
      runNote: c.runNote,
      baseRunId: c.baseRunId,
      finishedAt: c.finishedAt?.toISOString() ?? null,
      cluster: c.cluster,
      k: c.k,
      size: c.size,
      typicality: c.typicality,
      organisations: c.organisations,
      policies: c.policies.filter((p): p is string => Boolean(p)),
      canOpen: f.ok,
      missing,
      forYou: f,
    };
  });
  return (
    <>
      <PageHeader
        title="Research"
        description={`Request shared records for ${user.organisation.name}. Your browser signs the request with your attribute keys; the authority verifies it before the cloud helps decrypt, and decryption finishes here, in your browser.`}
      />
      {listed.outage ? (
        <PartyOutage message={listed.outage}>The datasets and clusters it stores are listed here again once it answers.</PartyOutage>
      ) : views.length === 0 ? (
        <EmptyState title="No datasets to browse yet">Datasets appear here once hospitals have uploaded records.</EmptyState>
      ) : (
        <RequestFlow gid={user.gid} material={material} datasets={views} clusters={clusters} terms={terms} approved={approved} />
      )}
      {mine.data && mine.data.length > 0 && (
        <section className="mt-8" aria-labelledby="my-requests-title">
          <h2 id="my-requests-title" className="mb-2 text-lg font-semibold">
            Your requests
          </h2>
          <MyRequests requests={mine.data} />
        </section>
      )}
    </>
  );
}
