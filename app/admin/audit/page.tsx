import Link from "next/link";
import { LogAlerts } from "@/components/admin/log-alerts";
import { LogHeads } from "@/components/admin/log-heads";
import { VerifyLedger } from "@/components/admin/verify-ledger";
import { Alert } from "@/components/ui/alert";
import { Card, EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { listAccounts } from "@/lib/authority/people";
import { AppError } from "@/lib/errors";
import { formatDateTimeSeconds } from "@/lib/format/date";
import { latestCheckpoint } from "@/lib/ledger/checkpoint";
import { authorityActions, authorityEntries } from "@/lib/ledger/entries";
import { logOverview } from "@/lib/ledger/overview";
import { cspCall } from "@/lib/parties/csp-client";
import { readSearchParams, type RawSearchParams } from "@/lib/validation/search-params";
import { z } from "@/lib/validation/zod";
import { TableHead } from "@/components/ui/table-head";

type Entry = { seq: bigint; at: Date; action: string; subjectType: string; subjectId: string | null; actorId: string | null; hash: string };
type People = Map<string, { name: string; email: string }>;

/** The page's query: filters and paging, checked like any input (a bad one is said, not a 500). */
const querySchema = z.object({
  action: z
    .string()
    .regex(/^[A-Z][A-Z_]{0,63}$/, "An action is written in capitals, like REGISTRATION_APPROVED.")
    .optional(),
  actor: z.uuid("Choose the actor from the list.").optional(),
  before: z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/, "Not an entry number.")
    .optional(),
  cspBefore: z
    .string()
    .regex(/^[1-9][0-9]{0,18}$/, "Not an entry number.")
    .optional(),
  take: z.coerce.number().int().min(5).max(500).default(200),
});
type Query = z.output<typeof querySchema>;

/** The CSP's own log (its uploads, releases, runs), read through its API; its outage is said, not thrown. */
async function cspLog(q: Query) {
  try {
    const [entries, chain] = await Promise.all([
      cspCall("ledger.entries", { take: q.take, before: q.cspBefore, action: q.action, actorId: q.actor }),
      cspCall("ledger.verify", {}),
    ]);
    return { entries: entries as Entry[], chain, error: null };
  } catch (error) {
    if (error instanceof AppError) return { entries: [], chain: null, error: error.message };
    throw error;
  }
}

/** A link to this page with some of the query changed (undefined drops a parameter). */
function href(q: Query, change: Partial<Record<keyof Query, string | number | undefined>>) {
  const params = new URLSearchParams();
  const merged = { ...q, ...change };
  for (const [k, v] of Object.entries(merged)) if (v !== undefined && !(k === "take" && v === 200)) params.set(k, String(v));
  const s = params.toString();
  return s ? `/admin/audit?${s}` : "/admin/audit";
}

export const metadata = { title: "Audit ledger" };

export default async function AuditPage({ searchParams }: { searchParams: Promise<RawSearchParams> }) {
  await requirePageUser(["AUTHORITY_ADMIN"], "/admin/audit");
  const { query: q, problem } = readSearchParams(querySchema, await searchParams);
  const [entries, csp, actions, users, overview] = await Promise.all([
    authorityEntries({ take: q.take, before: q.before, action: q.action, actorId: q.actor }),
    cspLog(q),
    authorityActions(),
    listAccounts(),
    logOverview(),
  ]);
  const people: People = new Map(users.map((u) => [u.id, { name: u.name, email: u.email }]));
  const actionNames = [...new Set([...actions.map((a) => a.action), ...csp.entries.map((e) => e.action)])].sort();
  const filtered = Boolean(q.action || q.actor);
  const checkpoint = latestCheckpoint();
  return (
    <>
      <PageHeader
        title="Audit ledger"
        description="Every decision, key, upload, request and sign-in leaves an entry here. Each party keeps its own log: the authority's (registrations, keys, signatures, sign-ins) and the CSP's (uploads, releases, clustering runs). Each entry's hash covers the one before it, so an edited or removed entry breaks the chain from that point on."
      />
      <LogAlerts />
      <LogHeads overview={overview} />
      <h2 className="mb-3 text-lg font-semibold">The authority&apos;s log</h2>
      <Card className="mb-6">
        <p className="mb-3 text-sm text-slate-600" data-testid="ledger-checkpoint">
          {checkpoint ? (
            <>
              Latest signed head (kept outside the database): entry #{checkpoint.entries}, hash{" "}
              <code className="break-all" title={checkpoint.head}>
                {checkpoint.head.slice(0, 16)}…
              </code>
              , checkpointed {formatDateTimeSeconds(checkpoint.at)}.
            </>
          ) : (
            "No signed checkpoint yet: one is written shortly after the next entry, and by every verification."
          )}
        </p>
        <VerifyLedger />
      </Card>
      <form
        method="get"
        action="/admin/audit"
        className="mb-4 flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-4"
        aria-label="Filter the logs"
      >
        <div className="space-y-1">
          <label htmlFor="audit-action" className="block text-sm font-medium text-slate-800">
            Action
          </label>
          <select
            id="audit-action"
            name="action"
            defaultValue={q.action ?? ""}
            className="block w-full max-w-xs rounded-md border border-slate-300 px-3 py-2 text-sm"
          >
            <option value="">Any action</option>
            {(q.action && !actionNames.includes(q.action) ? [q.action, ...actionNames] : actionNames).map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </div>
        <div className="space-y-1">
          <label htmlFor="audit-actor" className="block text-sm font-medium text-slate-800">
            Actor
          </label>
          <select
            id="audit-actor"
            name="actor"
            defaultValue={q.actor ?? ""}
            className="block w-full max-w-xs rounded-md border border-slate-300 px-3 py-2 text-sm"
          >
            <option value="">Anyone</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name} ({u.email})
              </option>
            ))}
          </select>
        </div>
        {q.take !== 200 && <input type="hidden" name="take" value={q.take} />}
        <button
          type="submit"
          className="rounded-md bg-brand-600 px-4 py-2 text-sm font-medium text-white hover:bg-brand-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-700"
        >
          Filter
        </button>
        {filtered && (
          <Link href={href(q, { action: undefined, actor: undefined, before: undefined, cspBefore: undefined })} className="pb-2 text-sm underline">
            Clear the filter
          </Link>
        )}
      </form>
      {problem && (
        <div className="mb-4">
          <Alert tone="error" title="This filter could not be used">
            {problem} Showing the latest entries instead.
          </Alert>
        </div>
      )}
      <LogTable
        entries={entries}
        people={people}
        testId="authority-log"
        caption={`${q.before ? `Entries before #${q.before}` : `Latest ${q.take} entries`} of the authority's log${filtered ? " matching the filter" : ""}, newest first`}
      />
      <Pager q={q} entries={entries} param="before" label="the authority's log" />
      <h2 className="mb-3 mt-8 text-lg font-semibold">The CSP&apos;s log</h2>
      <Card className="mb-6">
        <div data-testid="csp-ledger-report" aria-live="polite">
          {csp.error && <Alert tone="error">{csp.error}</Alert>}
          {csp.chain?.ok && csp.chain.entries === 0 && (
            <p className="text-sm text-slate-600">The CSP&apos;s log has no entries yet: its first is written with the first upload.</p>
          )}
          {csp.chain?.ok && csp.chain.entries > 0 && (
            <Alert tone="success" title="Chain intact">
              All {csp.chain.entries} entries of the CSP&apos;s log link up. Head: <code className="break-all">{csp.chain.head}</code>
            </Alert>
          )}
          {csp.chain && !csp.chain.ok && (
            <Alert tone="error" title={`Broken at entry ${csp.chain.brokenAt}`}>
              {csp.chain.reason}.
            </Alert>
          )}
        </div>
      </Card>
      <LogTable
        entries={csp.entries}
        people={people}
        testId="csp-log"
        caption={`${q.cspBefore ? `Entries before #${q.cspBefore}` : `Latest ${q.take} entries`} of the CSP's log${filtered ? " matching the filter" : ""}, newest first`}
      />
      <Pager q={q} entries={csp.entries} param="cspBefore" label="the CSP's log" />
    </>
  );
}

/** "Older entries" continues below the last entry shown; "Newest entries" returns to the top. */
function Pager({ q, entries, param, label }: { q: Query; entries: Entry[]; param: "before" | "cspBefore"; label: string }) {
  const last = entries.at(-1);
  const more = entries.length === q.take && last && last.seq > BigInt(1);
  if (!more && !q[param]) return null;
  return (
    <nav aria-label={`Pages of ${label}`} className="mt-3 flex flex-wrap gap-4 text-sm">
      {q[param] && (
        <Link href={href(q, { [param]: undefined })} className="underline">
          Newest entries
        </Link>
      )}
      {more && (
        <Link href={href(q, { [param]: last.seq.toString() })} className="underline">
          Older entries of {label}
        </Link>
      )}
    </nav>
  );
}

function LogTable({ entries, caption, people, testId }: { entries: Entry[]; caption: string; people: People; testId: string }) {
  return (
    <>
      {entries.length === 0 ? (
        <EmptyState title="No entries">
          {caption.startsWith("Latest") ? "Nothing to show here yet, or nothing matches the filter." : "No older entries."}
        </EmptyState>
      ) : (
        <div
          role="region"
          aria-label={caption}
          tabIndex={0}
          className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white px-4"
          data-testid={testId}
        >
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{caption}</caption>
            <TableHead columns={["#", "When", "Action", "Subject", "Actor", "Hash"]} />
            <tbody>
              {entries.map((e) => {
                const actor = e.actorId ? people.get(e.actorId) : null;
                return (
                  <tr key={e.seq.toString()} className="border-t border-slate-100">
                    <td className="py-2 pr-4 font-mono text-xs">{e.seq.toString()}</td>
                    <td className="whitespace-nowrap py-2 pr-4 text-xs">{formatDateTimeSeconds(e.at)}</td>
                    <td className="py-2 pr-4 font-medium">{e.action}</td>
                    <td className="py-2 pr-4 text-xs">
                      {e.subjectType}
                      {e.subjectId ? ` ${e.subjectId.slice(0, 8)}…` : ""}
                    </td>
                    <td className="py-2 pr-4 text-xs" data-testid="actor">
                      {!e.actorId ? (
                        "—"
                      ) : actor ? (
                        <span title={actor.email}>{actor.name}</span>
                      ) : (
                        <span className="font-mono" title={e.actorId}>
                          {e.actorId.slice(0, 8)}… (not a person)
                        </span>
                      )}
                    </td>
                    <td className="py-2 font-mono text-xs" title={e.hash}>
                      {e.hash.slice(0, 16)}…
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
