import { redirect } from "next/navigation";
import { Alert } from "@/components/ui/alert";
import { pageSessionUser } from "@/lib/auth/page-guard";
import { roleHome } from "@/lib/auth/session";
import { roleLabels } from "@/lib/validation/registration";

export const metadata = { title: "Waiting for approval" };

export default async function PendingPage() {
  const user = await pageSessionUser();
  if (!user) redirect("/login");
  if (user.status === "APPROVED") redirect(roleHome[user.role]);
  return (
    <div className="mx-auto max-w-xl space-y-4">
      <h1 className="text-2xl font-semibold">
        {user.status === "PENDING" ? "Waiting for approval" : user.status === "REJECTED" ? "Registration rejected" : "Access revoked"}
      </h1>
      {user.status === "PENDING" && (
        <Alert tone="info" title="Your registration is with the hospital authority">
          You asked to join <strong>{user.organisation.name}</strong> as {roleLabels[user.role].toLowerCase()}. An authority
          admin will approve or reject it; until then you cannot open MedShare&apos;s role pages. Come back later and sign in again.
        </Alert>
      )}
      {user.status === "REJECTED" && (
        <Alert tone="error" title="The hospital authority rejected your registration">
          Reason given: {user.decisionReason ?? "none"}. Contact the authority if you think this is a mistake.
        </Alert>
      )}
      {user.status === "REVOKED" && (
        <Alert tone="error" title="Your access was revoked">Contact the hospital authority.</Alert>
      )}
    </div>
  );
}
