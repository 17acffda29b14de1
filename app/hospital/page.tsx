import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";

export const metadata = { title: "My hospital" };

export default async function HospitalPage() {
  const user = await requirePageUser(["HOSPITAL_STAFF"], "/hospital");
  return (
    <>
      <PageHeader
        title={user.organisation.name}
        description="Upload patient records encrypted in your browser, choose who may read them, and see who asked for access."
      />
      <EmptyState title="No uploads yet">
        Uploading records arrives with the next release: files are encrypted here, in your browser, before anything is sent.
      </EmptyState>
    </>
  );
}
