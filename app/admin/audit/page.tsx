import { VerifyLedger } from "@/components/admin/verify-ledger";
import { Alert } from "@/components/ui/alert";
import { Card, EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { latestCheckpoint } from "@/lib/ledger/checkpoint";
import { cspCall } from "@/lib/parties/csp-client";

type Entry = { seq: bigint; at: Date; action: string; subjectType: string; subjectId: string | null; actorId: string | null; hash: string };

/** The CSP's own log (its uploads, releases, runs), read through its API; its outage is said, not thrown. */
async function cspLog() {
  try {
    const [entries, chain] = await Promise.all([cspCall("ledger.entries", { take: 200 }), cspCall("ledger.verify", {})]);
    return { entries: entries as Entry[], chain, error: null };
  } catch (error) {
    if (error instanceof AppError) return { entries: [], chain: null, error: error.message };
    throw error;
  }
}

export const metadata = { title: "Audit ledger" };

export default async function AuditPage() {
  await requirePageUser(["AUTHORITY_ADMIN"], "/admin/audit");
  const [entries, csp] = await Promise.all([db().auditEntry.findMany({ orderBy: { seq: "desc" }, take: 200 }), cspLog()]);
  const checkpoint = latestCheckpoint();
  return (
    <>
      <PageHeader
        title="Audit ledger"
        description="Every decision, key, upload, request and sign-in leaves an entry here. Each party keeps its own log: the authority's (registrations, keys, signatures, sign-ins) and the CSP's (uploads, releases, clustering runs). Each entry's hash covers the one before it, so an edited or removed entry breaks the chain from that point on."
      />
      <h2 className="mb-3 text-lg font-semibold">The authority&apos;s log</h2>
      <Card className="mb-6">
        <p className="mb-3 text-sm text-slate-600" data-testid="ledger-checkpoint">
          {checkpoint ? (
            <>
              Latest signed head (kept outside the database): entry #{checkpoint.entries}, hash{" "}
              <code className="break-all" title={checkpoint.head}>{checkpoint.head.slice(0, 16)}…</code>, checkpointed{" "}
              {checkpoint.at.replace("T", " ").slice(0, 19)} UTC.
            </>
          ) : (
            "No signed checkpoint yet: one is written shortly after the next entry, and by every verification."
          )}
        </p>
        <VerifyLedger />
      </Card>
      <LogTable entries={entries} caption="Latest 200 entries of the authority's log, newest first" />
      <h2 className="mb-3 mt-8 text-lg font-semibold">The CSP&apos;s log</h2>
      <Card className="mb-6">
        <div data-testid="csp-ledger-report" aria-live="polite">
          {csp.error && <Alert tone="error">{csp.error}</Alert>}
          {csp.chain?.ok && csp.chain.entries === 0 && <p className="text-sm text-slate-600">The CSP&apos;s log has no entries yet: its first is written with the first upload.</p>}
          {csp.chain?.ok && csp.chain.entries > 0 && (
            <Alert tone="success" title="Chain intact">
              All {csp.chain.entries} entries of the CSP&apos;s log link up. Head: <code className="break-all">{csp.chain.head}</code>
            </Alert>
          )}
          {csp.chain && !csp.chain.ok && <Alert tone="error" title={`Broken at entry ${csp.chain.brokenAt}`}>{csp.chain.reason}.</Alert>}
        </div>
      </Card>
      <LogTable entries={csp.entries} caption="Latest 200 entries of the CSP's log, newest first" />
    </>
  );
}

function LogTable({ entries, caption }: { entries: Entry[]; caption: string }) {
  return (
    <>
      {entries.length === 0 ? (
        <EmptyState title="No entries yet" />
      ) : (
        <div role="region" aria-label="Audit entries" tabIndex={0} className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white px-4">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">{caption}</caption>
            <thead className="text-xs uppercase text-slate-500">
              <tr><th className="py-2 pr-4">#</th><th className="py-2 pr-4">When</th><th className="py-2 pr-4">Action</th><th className="py-2 pr-4">Subject</th><th className="py-2 pr-4">Actor</th><th className="py-2">Hash</th></tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.seq.toString()} className="border-t border-slate-100">
                  <td className="py-2 pr-4 font-mono text-xs">{e.seq.toString()}</td>
                  <td className="py-2 pr-4 text-xs">{e.at.toISOString().replace("T", " ").slice(0, 19)}</td>
                  <td className="py-2 pr-4 font-medium">{e.action}</td>
                  <td className="py-2 pr-4 text-xs">{e.subjectType}{e.subjectId ? ` ${e.subjectId.slice(0, 8)}…` : ""}</td>
                  <td className="py-2 pr-4 font-mono text-xs">{e.actorId ? `${e.actorId.slice(0, 8)}…` : "—"}</td>
                  <td className="py-2 font-mono text-xs" title={e.hash}>{e.hash.slice(0, 16)}…</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
