import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ApplyAgain } from "@/components/auth/apply-again";
import { Alert } from "@/components/ui/alert";
import { pageSessionUser } from "@/lib/auth/page-guard";
import { roleHome } from "@/lib/auth/session";
import { roleLabels } from "@/lib/validation/registration";

const titles = { PENDING: "Waiting for approval", REJECTED: "Application rejected", REVOKED: "Access revoked" } as const;

/** The tab says what the page says: waiting, rejected or revoked. */
export async function generateMetadata(): Promise<Metadata> {
  const user = await pageSessionUser("null");
  const status = user?.status;
  return { title: status && status !== "APPROVED" ? titles[status] : titles.PENDING };
}

export default async function PendingPage() {
  const user = await pageSessionUser();
  if (!user) redirect("/login");
  if (user.status === "APPROVED") redirect(roleHome[user.role]);
  return (
    <div className="mx-auto max-w-xl space-y-4">
      <h1 className="text-2xl font-semibold">{titles[user.status]}</h1>
      {user.status === "PENDING" && (
        <Alert tone="info" title="Your registration is with the hospital authority">
          You asked to join <strong>{user.organisation.name}</strong> as {roleLabels[user.role].toLowerCase()}. An authority admin will approve or reject it;
          until then you cannot open MedShare&apos;s role pages. Come back later and sign in again.
        </Alert>
      )}
      {user.status === "REJECTED" && (
        <>
          <Alert tone="error" title="The hospital authority rejected your registration">
            Reason given: {user.decisionReason ?? "none"}.
          </Alert>
          <p className="text-sm text-slate-700">
            You can apply again with this account (the same e-mail and identifier): the authority then decides anew. Contact the authority if you think this is
            a mistake.
          </p>
          <ApplyAgain organisation={user.organisation.name} />
        </>
      )}
      {user.status === "REVOKED" && (
        <Alert tone="error" title="Your access was revoked">
          Reason given: {user.decisionReason ?? "none"}. Your attribute keys no longer open new records. Contact the hospital authority if you think this is a
          mistake; only they can restore access, with a new registration.
        </Alert>
      )}
    </div>
  );
}
