import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";

export const metadata = { title: "Research" };

export default async function ResearchPage() {
  const user = await requirePageUser(["RESEARCHER"], "/research");
  return (
    <>
      <PageHeader
        title="Research"
        description={`Browse clusters of shared records, request access for ${user.organisation.name}, and decrypt what your attributes allow, in your browser.`}
      />
      <EmptyState title="No clusters to browse yet">
        Clusters appear here once hospitals have uploaded records and the authority has run clustering.
      </EmptyState>
    </>
  );
}
