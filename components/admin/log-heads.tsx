import { Fragment } from "react";
import type { HeadView, LogOverview, WitnessView } from "@/lib/ledger/overview";
import { WitnessNow } from "./witness-now";

const when = (iso: string | null | undefined) => (iso ? `${iso.replace("T", " ").slice(0, 19)} UTC` : "never");

function Head({ name, view, testId }: { name: string; view: HeadView; testId: string }) {
  return (
    <div className="rounded-md border border-slate-200 p-3" data-testid={testId}>
      <h3 className="font-semibold">{name}</h3>
      {view.error || !view.head ? (
        <p className="text-sm text-red-700">{view.error ?? "No head."}</p>
      ) : (
        <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 text-sm">
          <dt className="text-slate-500">Size</dt>
          <dd data-testid={`${testId}-size`}>{view.head.size} entries</dd>
          <dt className="text-slate-500">Root</dt>
          <dd className="break-all font-mono text-xs" title={view.head.root}>
            {view.head.root}
          </dd>
          <dt className="text-slate-500">Signed</dt>
          <dd>{when(view.head.timestamp)}</dd>
          <dt className="text-slate-500">Signature</dt>
          <dd className={view.signatureOk ? "text-emerald-700" : "font-semibold text-red-700"}>
            {view.signatureOk ? "valid (Ed25519, the party's log key)" : "INVALID or key not configured"}
          </dd>
        </dl>
      )}
    </div>
  );
}

function Witness({ who, of, view, testId }: { who: string; of: string; view: WitnessView; testId: string }) {
  const s = view.state;
  return (
    <div className="rounded-md border border-slate-200 p-3 text-sm" data-testid={testId}>
      <p className="font-semibold">
        {who} witnesses {of}
      </p>
      {view.error ? (
        <p className="text-red-700">{view.error}</p>
      ) : !s ? (
        <p className="text-slate-600">Has not checked yet: it checks every few minutes, or press “Witness now”.</p>
      ) : (
        <>
          <p className={s.status === "ok" ? "text-emerald-700" : "font-semibold text-red-700"} data-testid={`${testId}-status`}>
            {s.status === "ok" ? "Agrees" : s.status === "fork" ? "FORK detected" : s.status === "rollback" ? "ROLLBACK detected" : "Head REJECTED"}
            {s.problem ? `: ${s.problem}` : ""}
          </p>
          <p className="text-slate-600">
            Kept head: {s.size} entries, root <code title={s.root}>{s.root.slice(0, 16)}…</code>. Last checked {when(s.checkedAt)}; last agreed{" "}
            {when(s.agreedAt)}.
          </p>
        </>
      )}
    </div>
  );
}

/** Each log's signed head and its witness, for /admin/audit. */
export function LogHeads({ overview }: { overview: LogOverview }) {
  return (
    <section aria-labelledby="log-heads" className="mb-8">
      <h2 id="log-heads" className="mb-1 text-lg font-semibold">
        Transparency logs
      </h2>
      <p className="mb-3 max-w-3xl text-sm text-slate-600">
        Each party&apos;s log is an RFC 9162 Merkle tree with signed heads published at /.well-known/medshare/log/sth (an attribute authority&apos;s at
        /api/aa/log/sth). The other party keeps the last head it saw and accepts a new one only with a consistency proof: a rewritten or shortened log shows
        here as a fork or a rollback. The authority witnesses each attribute authority&apos;s log the same way.
      </p>
      <div className="grid gap-3 md:grid-cols-2">
        <Head name="The authority's log" view={overview.authority} testId="head-authority" />
        <Head name="The CSP's log" view={overview.csp} testId="head-csp" />
        <Witness who="The CSP" of="the authority's log" view={overview.cspWitnessOfAuthority} testId="witness-of-authority" />
        <Witness who="The authority" of="the CSP's log" view={overview.authorityWitnessOfCsp} testId="witness-of-csp" />
      </div>
      {overview.aas.length > 0 && (
        <>
          <h3 className="mb-2 mt-4 font-semibold">Attribute authorities&apos; logs</h3>
          <div className="grid gap-3 md:grid-cols-2">
            {overview.aas.map((aa) => (
              <Fragment key={aa.name}>
                <Head name={`${aa.name}'s log`} view={aa.head} testId={`head-aa-${aa.name}`} />
                <Witness who="The authority" of={`${aa.name}'s log`} view={aa.witness} testId={`witness-of-aa-${aa.name}`} />
              </Fragment>
            ))}
          </div>
        </>
      )}
      <div className="mt-3">
        <WitnessNow />
      </div>
    </section>
  );
}
