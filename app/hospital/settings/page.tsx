import Link from "next/link";
import { SettingsForm } from "@/components/organisation/settings-form";
import { Card, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { orgSettings } from "@/lib/portal/organisation";

export const metadata = { title: "Hospital settings" };

export default async function HospitalSettingsPage() {
  const user = await requirePageUser(["HOSPITAL_STAFF"], "/hospital/settings");
  const settings = await orgSettings(user);
  return (
    <>
      <PageHeader
        title="Hospital settings"
        description={`How requests for ${user.organisation.name}'s records are decided by default, and the terms of use researchers accept. Each upload can choose otherwise.`}
        actions={
          <Link href="/hospital" className="text-sm underline">
            Back to my hospital
          </Link>
        }
      />
      <Card>
        <SettingsForm settings={settings} />
      </Card>
    </>
  );
}
