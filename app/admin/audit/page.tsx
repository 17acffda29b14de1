import { VerifyLedger } from "@/components/admin/verify-ledger";
import { Card, EmptyState, PageHeader } from "@/components/ui/page-header";
import { requirePageUser } from "@/lib/auth/page-guard";
import { db } from "@/lib/db/client";
import { latestCheckpoint } from "@/lib/ledger/checkpoint";

export const metadata = { title: "Audit ledger" };

export default async function AuditPage() {
  await requirePageUser(["AUTHORITY_ADMIN"], "/admin/audit");
  const entries = await db().auditEntry.findMany({ orderBy: { seq: "desc" }, take: 200 });
  const checkpoint = latestCheckpoint();
  return (
    <>
      <PageHeader
        title="Audit ledger"
        description="Every decision, key, upload, request and sign-in leaves an entry here. Each entry's hash covers the one before it, so an edited or removed entry breaks the chain from that point on."
      />
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
      {entries.length === 0 ? (
        <EmptyState title="No entries yet" />
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white px-4">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Latest 200 audit entries, newest first</caption>
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
