import { UploadWizard } from "@/components/upload/upload-wizard";
import { PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { listPublicKeys } from "@/lib/authority/catalogue";
import { myKeyMaterial } from "@/lib/authority/keys";
import { cspCall } from "@/lib/parties/csp-client";
import { orgSettings } from "@/lib/portal/organisation";
import { listPolicyTemplates } from "@/lib/portal/policy-templates";

export const metadata = { title: "Upload records" };

export default async function UploadPage({ searchParams }: { searchParams: Promise<{ replace?: string }> }) {
  const user = await requirePageUser(["HOSPITAL_STAFF"], "/hospital/upload");
  const { replace } = await searchParams;
  const replacing = replace && /^[0-9a-f-]{36}$/.test(replace) ? await cspCall("uploads.get", { uploadId: replace }, { org: user.organisation.id }) : null;
  const [material, catalogue, templates, settings] = await Promise.all([
    myKeyMaterial(user.id),
    listPublicKeys(),
    listPolicyTemplates(user),
    orgSettings(user),
  ]);
  const decisionDefault = { decisionMode: settings.decisionMode, approverId: settings.approverId ?? "", reviewerId: settings.reviewerId ?? "" };
  return (
    <>
      <PageHeader
        title="Upload records"
        description="Your file is checked, optionally de-identified and encrypted under an access policy here, in your browser. The cloud receives only ciphertext; it checks its integrity and your hospital's signature before storing it."
      />
      <UploadWizard
        replacing={replacing}
        gid={user.gid}
        organisationId={user.organisation.id}
        material={material}
        catalogue={catalogue}
        templates={templates}
        decisionDefault={decisionDefault}
        staff={settings.staff}
      />
    </>
  );
}
