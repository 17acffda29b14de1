import Link from "next/link";
import { PersonRow } from "@/components/admin/person-row";
import { Alert } from "@/components/ui/alert";
import { EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { listCatalogue } from "@/lib/authority/catalogue";
import { listPeople, PEOPLE_PAGE_SIZE } from "@/lib/authority/people";
import { readSearchParams, type RawSearchParams } from "@/lib/validation/search-params";
import { z } from "@/lib/validation/zod";
import { TableHead } from "@/components/ui/table-head";

export const metadata = { title: "People and keys" };

/** The page's query, checked like any input: a bad one is said, not a 500. */
const querySchema = z.object({
  q: z.string().max(200, "Search for at most 200 characters.").optional(),
  page: z.coerce.number("Not a page number.").int("Not a page number.").min(1, "Pages start at 1.").max(1_000_000, "Not a page number.").default(1),
});

function href(q: string | undefined, page: number) {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (page > 1) params.set("page", String(page));
  const s = params.toString();
  return s ? `/admin/people?${s}` : "/admin/people";
}

export default async function PeoplePage({ searchParams }: { searchParams: Promise<RawSearchParams> }) {
  const admin = await requirePageUser(["AUTHORITY_ADMIN"], "/admin/people");
  const { query, problem } = readSearchParams(querySchema, await searchParams);
  const [{ people, total, page, pages }, catalogue] = await Promise.all([listPeople({ search: query.q, page: query.page }), listCatalogue()]);
  const attributes = catalogue.flatMap((a) => a.attributes.map((x) => ({ id: x.id, name: x.name })));
  const first = (page - 1) * PEOPLE_PAGE_SIZE + 1;
  return (
    <>
      <PageHeader
        title="People and their keys"
        description="Grant attributes (keys are issued at once, wrapped to the person's browser), revoke one attribute, or revoke a person entirely. Find someone by name, e-mail or GID."
      />
      <form method="get" action="/admin/people" role="search" aria-label="Find a person" className="mb-4 flex flex-wrap items-end gap-3">
        <div className="min-w-0 flex-1 space-y-1 sm:max-w-sm">
          <label htmlFor="people-q" className="block text-sm font-medium text-slate-800">
            Name, e-mail or GID
          </label>
          <input
            id="people-q"
            name="q"
            type="search"
            defaultValue={query.q ?? ""}
            maxLength={200}
            className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
          />
        </div>
        <button
          type="submit"
          className="rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-700"
        >
          Find
        </button>
        {query.q && (
          <Link href="/admin/people" className="pb-2 text-sm underline">
            Show everyone
          </Link>
        )}
      </form>
      {problem && (
        <div className="mb-4">
          <Alert tone="error" title="This search could not be used">
            {problem} Showing everyone instead.
          </Alert>
        </div>
      )}
      {people.length === 0 ? (
        <EmptyState title={query.q ? `Nobody approved matches “${query.q}”` : "No approved people yet"}>
          {query.q ? "Try part of the name or e-mail. People still waiting for approval are on the Registrations page." : null}
        </EmptyState>
      ) : (
        <>
          <p className="mb-2 text-sm text-slate-600" data-testid="people-count">
            {total === people.length ? `${total} ${total === 1 ? "person" : "people"}` : `${first}–${first + people.length - 1} of ${total} people`}
            {query.q ? ` matching “${query.q}”` : ""}, by role and name.
          </p>
          <div role="region" aria-label="Approved people" tabIndex={0} className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white px-4">
            <table className="w-full text-left max-sm:block">
              <caption className="sr-only">Approved people</caption>
              <TableHead columns={["Person", "Attributes", "Keys", "Actions"]} className="max-sm:sr-only" />
              <tbody className="max-sm:block">
                {people.map((p) => (
                  <PersonRow key={p.id} p={p} catalogue={attributes} self={p.id === admin.id} />
                ))}
              </tbody>
            </table>
          </div>
          {pages > 1 && (
            <nav aria-label="Pages of people" className="mt-3 flex items-center justify-between text-sm">
              {page > 1 ? (
                <Link href={href(query.q, page - 1)} className="underline" rel="prev">
                  ← Previous {PEOPLE_PAGE_SIZE}
                </Link>
              ) : (
                <span />
              )}
              <span className="text-slate-600">
                Page {page} of {pages}
              </span>
              {page < pages ? (
                <Link href={href(query.q, page + 1)} className="underline" rel="next">
                  Next {PEOPLE_PAGE_SIZE} →
                </Link>
              ) : (
                <span />
              )}
            </nav>
          )}
        </>
      )}
    </>
  );
}
