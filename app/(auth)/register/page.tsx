import { RegisterForm } from "@/components/auth/register-form";
import { Alert } from "@/components/ui/alert";
import { Card } from "@/components/ui/page-header";
import { listOrganisations } from "@/lib/portal/registrations";

export const metadata = { title: "Register" };

export default async function RegisterPage({ searchParams }: { searchParams: Promise<{ setup?: string }> }) {
  const { setup } = await searchParams;
  const organisations = await listOrganisations();
  return (
    <div className="mx-auto max-w-xl">
      <h1 className="mb-2 text-2xl font-semibold">Register with MedShare</h1>
      <p className="mb-6 text-sm text-slate-600">
        Tell us who you are and which organisation you work for. The hospital authority checks every registration before you can upload or request records; you
        will see the decision when you sign in.
      </p>
      {setup && (
        <div className="mb-4">
          <Alert tone="info" title="First-time setup">
            This one-time link creates the first authority admin.
          </Alert>
        </div>
      )}
      <Card>
        <RegisterForm organisations={organisations} setupToken={setup} />
      </Card>
    </div>
  );
}
