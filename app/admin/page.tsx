import { Suspense } from "react";
import { LogAlerts } from "@/components/admin/log-alerts";
import { RegistrationRow } from "@/components/admin/registration-row";
import { ServicesPanel } from "@/components/admin/services-panel";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { listPendingRegistrations } from "@/lib/portal/registrations";
import { listCatalogue } from "@/lib/authority/catalogue";
import { checkServices } from "@/lib/parties/health";
import { TableHead } from "@/components/ui/table-head";

export const metadata = { title: "Registrations" };

export default async function AdminPage() {
  await requirePageUser(["AUTHORITY_ADMIN"], "/admin");
  // Not awaited here: the registrations render at once, the services stream in (a CSP that does not answer costs up to 5 s).
  const health = checkServices();
  const [pending, catalogue] = await Promise.all([listPendingRegistrations(), listCatalogue()]);
  const attributes = catalogue.flatMap((a) => a.attributes.map((x) => ({ id: x.id, name: x.name, description: x.description })));
  return (
    <>
      <Suspense fallback={null}>
        <LogAlerts />
      </Suspense>
      <PageHeader
        title="Pending registrations"
        description="Approve the people you can vouch for, choosing the attributes they hold: their keys are issued at once, wrapped to their browser's key. Rejected people see your reason."
      />
      {pending.length === 0 ? (
        <EmptyState title="No registrations are waiting">New registrations appear here as soon as they are sent.</EmptyState>
      ) : (
        <div
          role="region"
          aria-label="Waiting registrations"
          tabIndex={0}
          className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white px-4"
        >
          <table className="w-full text-left">
            <caption className="sr-only">Registrations waiting for a decision</caption>
            <TableHead columns={["Person", "Role", "Organisation", "GID", "Sent", "Decision"]} />
            <tbody>
              {pending.map((p) => (
                <RegistrationRow
                  key={p.id}
                  attributes={attributes}
                  r={{
                    id: p.id,
                    name: p.name,
                    email: p.email,
                    gid: p.gid,
                    role: p.role,
                    organisation: p.organisation.name,
                    kind: p.organisation.kind,
                    createdAt: p.createdAt.toISOString(),
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <section aria-labelledby="services-heading" className="mt-10">
        <div className="mb-3 max-w-3xl">
          <h2 id="services-heading" className="text-lg font-semibold text-slate-900">
            Services
          </h2>
          <p className="mt-1 text-sm text-slate-600">
            Each party runs as its own process, with its own database role. Checked when this page loaded; reload to check again.
          </p>
        </div>
        <Suspense
          fallback={
            <p className="text-sm text-slate-500" role="status">
              Checking the services…
            </p>
          }
        >
          <ServicesPanel health={health} />
        </Suspense>
      </section>
    </>
  );
}
