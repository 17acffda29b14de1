import { CreateAttributeForm, CreateAuthorityForm } from "@/components/admin/catalogue-forms";
import { Alert } from "@/components/ui/alert";
import { Card, EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { attributeAuthorityServices, listCatalogue } from "@/lib/authority/catalogue";
import { legacySecretsWaiting } from "@/lib/authority/legacy-secrets";

export const metadata = { title: "Attributes" };

export default async function AttributesPage() {
  await requirePageUser(["AUTHORITY_ADMIN"], "/admin/attributes");
  const [catalogue, waiting] = await Promise.all([listCatalogue(), legacySecretsWaiting()]);
  return (
    <>
      <PageHeader
        title="Attribute catalogue"
        description="Attribute authorities own a namespace of attributes (HA1.cardiology). Each runs as its own service that alone keeps its master secrets and issues its keys; this portal approves people, records their attributes and signs the statements the services check."
      />
      {waiting.length > 0 && (
        <div className="mb-6" data-testid="legacy-secrets">
          <Alert tone="warning" title="This portal still holds attribute master secrets from before the attribute authority services">
            <p>They move to the service that runs their namespace automatically, a few seconds after the portal starts and every five minutes until done:</p>
            <ul className="mt-1 list-disc pl-5">
              {waiting.map((w) => (
                <li key={w.service}>
                  {w.versions} key version{w.versions === 1 ? "" : "s"} for <span className="font-mono">{w.service}</span>
                  {w.configured
                    ? " (waiting for the service to answer)"
                    : `: no attribute authority service named ${w.service} is configured; run one (MEDSHARE_AAS, docs/DEPLOY.md)`}
                </li>
              ))}
            </ul>
          </Alert>
        </div>
      )}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
        <div className="space-y-4 lg:col-span-2">
          {catalogue.length === 0 ? (
            <EmptyState title="No attribute authorities yet">Create one, then its attributes.</EmptyState>
          ) : (
            catalogue.map((a) => (
              <Card key={a.id}>
                <h2 className="font-semibold">
                  <span className="font-mono">{a.code}</span> · {a.name}
                </h2>
                {a.description && <p className="text-sm text-slate-600">{a.description}</p>}
                <p className="mt-1 text-xs text-slate-600" data-testid={`authority-service-${a.code}`}>
                  Run by the attribute authority service <span className="font-mono">{a.service}</span>. Its operator could issue itself any {a.code} key and so
                  read records whose policy the attributes of {a.service} alone satisfy (key escrow per authority, inherent to attribute-based encryption); a
                  policy that also needs another service&apos;s attribute needs both operators together.
                </p>
                {a.attributes.length === 0 ? (
                  <p className="mt-3 text-sm text-slate-500">No attributes yet.</p>
                ) : (
                  <div role="region" aria-label={`Attributes of ${a.code}`} tabIndex={0} className="relative overflow-x-auto">
                    <table className="mt-3 w-full text-left text-sm">
                      <caption className="sr-only">Attributes of {a.code}</caption>
                      <thead className="text-xs uppercase text-slate-500">
                        <tr>
                          <th className="py-1 pr-4">Attribute</th>
                          <th className="py-1 pr-4">Key version</th>
                          <th className="py-1 pr-4">Holders</th>
                          <th className="py-1">Description</th>
                        </tr>
                      </thead>
                      <tbody>
                        {a.attributes.map((x) => (
                          <tr key={x.id} className="border-t border-slate-100" data-testid={`attribute-${x.name}`}>
                            <td className="py-1 pr-4 font-mono">{x.name}</td>
                            <td className="py-1 pr-4">v{x.currentVersion}</td>
                            <td className="py-1 pr-4">{x._count.grants}</td>
                            <td className="py-1 text-slate-600">{x.description}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </Card>
            ))
          )}
        </div>
        <div className="space-y-6">
          <Card>
            <CreateAuthorityForm services={attributeAuthorityServices()} />
          </Card>
          <Card>
            <CreateAttributeForm authorities={catalogue.map((a) => ({ id: a.id, code: a.code, name: a.name }))} />
          </Card>
        </div>
      </div>
    </>
  );
}
