import { PersonRow } from "@/components/admin/person-row";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { listCatalogue } from "@/lib/authority/catalogue";
import { listPeople } from "@/lib/authority/people";

export const metadata = { title: "People and keys" };

export default async function PeoplePage() {
  const admin = await requirePageUser(["AUTHORITY_ADMIN"], "/admin/people");
  const [people, catalogue] = await Promise.all([listPeople(), listCatalogue()]);
  const attributes = catalogue.flatMap((a) => a.attributes.map((x) => ({ id: x.id, name: x.name })));
  return (
    <>
      <PageHeader
        title="People and their keys"
        description="Grant attributes (keys are issued at once, wrapped to the person's browser), revoke one attribute, or revoke a person entirely."
      />
      {people.length === 0 ? (
        <EmptyState title="No approved people yet" />
      ) : (
        <div role="region" aria-label="Approved people" tabIndex={0} className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white px-4">
          <table className="w-full text-left">
            <caption className="sr-only">Approved people</caption>
            <thead className="text-xs uppercase text-slate-500">
              <tr>
                <th className="py-2 pr-4">Person</th>
                <th className="py-2 pr-4">Attributes</th>
                <th className="py-2 pr-4">Keys</th>
                <th className="py-2">Actions</th>
              </tr>
            </thead>
            <tbody>
              {people.map((p) => (
                <PersonRow key={p.id} p={p} catalogue={attributes} self={p.id === admin.id} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
