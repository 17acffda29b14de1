"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { KeyGate } from "@/components/keys/key-gate";
import type { KeyMaterial } from "@/components/keys/use-key-store";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/page-header";
import { Progress } from "@/components/ui/progress";
import { createRequestAction } from "@/lib/actions/requests/create-request";
import { reportVerificationFailureAction } from "@/lib/actions/requests/report-failure";
import { reportRequestOutcomeAction } from "@/lib/actions/requests/report-outcome";
import { submitSignatureAction } from "@/lib/actions/requests/submit-signature";
import type { KeystoreContents } from "@/lib/keystore/sealed";
import type { DecryptedUpload } from "./decrypt.worker";
import { ACCESS_PERIOD } from "@/lib/validation/request";
import type { ForYou } from "@/lib/requests/for-you";
import { Results } from "./results";
import { fetchAndDecrypt, signRequest } from "./request-pipeline";
import { reach } from "@/lib/actions/reach";

export type ClusterView = {
  runId: string;
  /** The run's name, or its date when it has none. */
  runName: string;
  runNote: string;
  /** The run this one extends (its clusters are listed under that run). */
  baseRunId: string | null;
  /** When the run finished (ISO), shown beside its name. */
  finishedAt: string | null;
  cluster: number;
  k: number;
  size: number;
  /** Mean typicality of the cluster's records to it (null: the run kept none). */
  typicality: { mean: number | null };
  organisations: string[];
  policies: string[];
  canOpen: boolean;
  missing: string[];
  forYou: ForYou;
};

export type DatasetView = {
  id: string;
  label: string;
  policy: string;
  recordCount: number;
  organisation: string;
  canOpen: boolean;
  missing: string[];
  forYou: ForYou;
};

/** The "For you" cell: the verdict, and a link to /keys when the person can fix it there. */
function ForYouCell({ f }: { f: ForYou }) {
  return (
    <td className="py-1 text-xs" data-testid="for-you">
      <span className={f.ok ? "text-emerald-700" : "text-amber-800"}>{f.text}</span>
      {f.fix && (
        <>
          {" "}
          <Link className="underline" href="/keys">
            {f.fix}
          </Link>
        </>
      )}
    </td>
  );
}

type Step =
  | { name: "choose" }
  | { name: "working"; note: string; progress: number | null }
  | { name: "done"; uploads: DecryptedUpload[]; exportName?: string }
  | { name: "error"; message: string; link?: boolean }
  | { name: "waiting" };

/** What one click on "Request, sign and decrypt" (or "Decrypt" on an approved request) asks for (kept while the keys are unlocked). */
type Job = { id: number; selected: string[]; cluster: { runId: string; cluster: number } | null; purpose: string; acceptTerms?: boolean; resume?: string };

/** A request waiting for its hospital's decision keeps its access token in this browser, to download once approved. */
type Waiting = { token: string; expected: Array<{ id: string; label: string; recordCount: number }> };
const waitingKey = (requestId: string) => `medshare-waiting-request:${requestId}`;
function keepWaiting(requestId: string, w: Waiting) {
  try {
    localStorage.setItem(waitingKey(requestId), JSON.stringify(w));
  } catch {
    /* storage refused: the request cannot be resumed here */
  }
}
function waiting(requestId: string): Waiting | null {
  try {
    return JSON.parse(localStorage.getItem(waitingKey(requestId)) ?? "null") as Waiting | null;
  } catch {
    return null;
  }
}

export type ApprovedRequest = { id: string; purpose: string; narrowed: boolean };
export type OrgTerms = { organisation: string; terms: string };

/** Runs each new job once the key store is unlocked: only a request needs the keys. */
function JobRunner({ contents, job, run }: { contents: KeystoreContents; job: Job; run: (contents: KeystoreContents, job: Job) => void }) {
  const last = useRef(0);
  useEffect(() => {
    if (last.current === job.id) return;
    last.current = job.id;
    run(contents, job);
  }, [contents, job, run]);
  return null;
}

type RunGroup = { runId: string; name: string; note: string; finishedAt: string | null; baseName: string | null; clusters: ClusterView[] };

/** Clusters grouped by run, each run followed by the runs extending it. */
export function groupByRun(clusters: ClusterView[]): RunGroup[] {
  const runs = new Map<string, RunGroup & { baseRunId: string | null }>();
  for (const c of clusters) {
    const g = runs.get(c.runId) ?? {
      runId: c.runId,
      name: c.runName,
      note: c.runNote,
      finishedAt: c.finishedAt,
      baseRunId: c.baseRunId,
      baseName: null,
      clusters: [],
    };
    g.clusters.push(c);
    runs.set(c.runId, g);
  }
  const out: RunGroup[] = [];
  const place = (g: RunGroup & { baseRunId: string | null }) => {
    out.push(g);
    for (const e of runs.values()) if (e.baseRunId === g.runId && !out.includes(e)) place({ ...e, baseName: g.name } as typeof e);
  };
  for (const g of runs.values()) if (!g.baseRunId || !runs.has(g.baseRunId)) place(g);
  return out;
}

const when = (iso: string | null) => (iso ? `${iso.replace("T", " ").slice(0, 16)} UTC` : "");

type FlowProps = { gid: string; material: KeyMaterial; datasets: DatasetView[]; clusters: ClusterView[]; terms: OrgTerms[]; approved: ApprovedRequest[] };

function Flow({ gid, material, datasets, clusters, terms, approved }: FlowProps) {
  const [accepted, setAccepted] = useState(false);
  const [selected, setSelected] = useState<string[]>([]);
  const [cluster, setCluster] = useState<{ runId: string; cluster: number } | null>(null);
  const [purpose, setPurpose] = useState("");
  const [periodDays, setPeriodDays] = useState(String(ACCESS_PERIOD.defaultDays));
  const [step, setStep] = useState<Step>({ name: "choose" });
  const [job, setJob] = useState<Job | null>(null);
  const groups = groupByRun(clusters);
  // The hospitals whose records the current choice covers: their terms of use are shown and must be accepted.
  const owners = new Set(
    cluster
      ? (clusters.find((c) => c.runId === cluster.runId && c.cluster === cluster.cluster)?.organisations ?? [])
      : datasets.filter((d) => selected.includes(d.id)).map((d) => d.organisation),
  );
  const involved = terms.filter((t) => owners.has(t.organisation));

  function start(contents: KeystoreContents, { selected, cluster, purpose, acceptTerms, resume: resumeId }: Job) {
    (resumeId ? resume(contents, resumeId) : run(contents, selected, cluster, purpose, acceptTerms === true)).catch((e) =>
      setStep({ name: "error", message: (e as Error).message }),
    );
  }

  /** An approved request that waited for its hospital: download and decrypt with the token kept here. */
  async function resume(contents: KeystoreContents, requestId: string) {
    const kept = waiting(requestId);
    if (!kept)
      return setStep({
        name: "error",
        message: "This browser does not hold the access token of that request (it was made in another browser): make a new request.",
      });
    const fail = async (message: string, link?: boolean) => {
      await reportRequestOutcomeAction({ requestId, outcome: "failed", detail: message.slice(0, 300) }).catch(() => undefined);
      setStep({ name: "error", message, link });
    };
    try {
      await download(contents, requestId, kept.token, kept.expected, fail, null);
    } catch (error) {
      await fail((error as Error).message);
    }
  }

  async function run(
    contents: KeystoreContents,
    selected: string[],
    cluster: { runId: string; cluster: number } | null,
    purpose: string,
    acceptTerms: boolean,
  ) {
    setStep({ name: "working", note: "Asking the cloud for the records and an access token…", progress: null });
    const created = await reach(createRequestAction)({
      ...(cluster ? { cluster } : { uploadIds: selected }),
      purpose,
      periodDays: Number(periodDays),
      acceptTerms: acceptTerms as true,
    });
    if (!created.ok)
      return setStep({
        name: "error",
        message:
          created.error.fieldErrors?.purpose?.[0] ??
          created.error.fieldErrors?.periodDays?.[0] ??
          created.error.fieldErrors?.acceptTerms?.[0] ??
          created.error.message,
      });
    const req = created.data;
    // From here on the request exists: however it ends, the browser tells the authority.
    const fail = async (message: string, link?: boolean) => {
      await reportRequestOutcomeAction({ requestId: req.requestId, outcome: "failed", detail: message.slice(0, 300) }).catch(() => undefined);
      setStep({ name: "error", message, link });
    };
    try {
      await finish(contents, req, fail);
    } catch (error) {
      await fail((error as Error).message);
    }
  }

  async function finish(
    contents: KeystoreContents,
    req: Extract<Awaited<ReturnType<typeof createRequestAction>>, { ok: true }>["data"],
    fail: (message: string, link?: boolean) => Promise<void>,
  ) {
    setStep({ name: "working", note: "Signing the request with your attribute keys (ABS)…", progress: null });
    const signed = await signRequest(contents, req);
    if ("error" in signed) return fail(signed.error);
    const { signature, versions, signedAt } = signed;

    setStep({ name: "working", note: "The authority is verifying your signature; the cloud then does its part of the decryption…", progress: null });
    const submitted = await reach(submitSignatureAction)({ requestId: req.requestId, token: req.token, signature, signatureVersions: versions, signedAt });
    if (!submitted.ok) return fail(submitted.error.message, /transform key/.test(submitted.error.message));
    const expected = req.uploads.map((u) => ({ id: u.id, label: u.label, recordCount: u.recordCount }));
    if (req.awaitingDecision) {
      // The cloud serves nothing until the hospital approves: keep the token to download then.
      keepWaiting(req.requestId, { token: req.token, expected });
      return setStep({ name: "waiting" });
    }
    await download(contents, req.requestId, req.token, expected, fail, cluster);
  }

  async function download(
    contents: KeystoreContents,
    requestId: string,
    token: string,
    expected: Waiting["expected"],
    fail: (message: string, link?: boolean) => Promise<void>,
    cluster: { runId: string; cluster: number } | null,
  ) {
    setStep({ name: "working", note: "Downloading ciphertexts…", progress: 0 });
    const fetched = await fetchAndDecrypt(contents, requestId, token, expected, (label, progress) =>
      setStep({ name: "working", note: `Decrypting ${label} in your browser…`, progress }),
    );
    if ("error" in fetched) return fail(fetched.error, fetched.link);
    const { uploads } = fetched;
    for (const u of uploads)
      if (u.status === "failed") await reach(reportVerificationFailureAction)({ requestId, uploadId: u.uploadId, detail: u.detail.slice(0, 300) });
    const outcome = uploads.some((u) => u.status === "failed") ? "refused" : uploads.some((u) => u.status === "opened") ? "decrypted" : "failed";
    await reach(reportRequestOutcomeAction)({
      requestId,
      outcome,
      ...(outcome === "failed" ? { detail: "no requested dataset could be opened with your attributes" } : {}),
    });
    setStep({ name: "done", uploads, exportName: cluster ? `cluster ${cluster.cluster} of run ${cluster.runId.slice(0, 8)}` : undefined });
  }

  return (
    <div className="space-y-6">
      {approved.length > 0 && (
        <Card>
          <h2 className="mb-1 font-semibold">Approved by the hospital</h2>
          <p className="mb-3 text-xs text-slate-500">
            These requests waited for the hospital that owns the records; it approved them. Decrypting asks for your key passphrase.
          </p>
          <ul className="space-y-2" data-testid="approved-requests">
            {approved.map((a) => (
              <li key={a.id} className="flex flex-wrap items-center justify-between gap-2 text-sm">
                <span className="min-w-0 break-words">
                  {a.purpose}
                  {a.narrowed && <span className="text-xs text-amber-800"> (narrowed by the hospital)</span>}
                </span>
                <Button
                  type="button"
                  variant="secondary"
                  aria-label={`Decrypt ${a.purpose}`}
                  disabled={step.name === "working"}
                  onClick={() => {
                    setStep({ name: "choose" });
                    setJob({ id: (job?.id ?? 0) + 1, selected: [], cluster: null, purpose: a.purpose, resume: a.id });
                  }}
                >
                  Decrypt
                </Button>
              </li>
            ))}
          </ul>
        </Card>
      )}
      {clusters.length > 0 && (
        <Card>
          <h2 className="mb-1 font-semibold">Clusters</h2>
          <p className="mb-3 text-xs text-slate-500">
            Found by the cloud with HoPCM on encrypted feature tensors: it knows sizes and labels, never the values.
          </p>
          <div role="region" aria-label="Clusters you can request" tabIndex={0} className="relative overflow-x-auto">
            <table className="w-full text-left text-sm" data-testid="clusters">
              <caption className="sr-only">Clusters you can request, by clustering run</caption>
              <thead className="text-xs uppercase text-slate-500">
                <tr>
                  <th className="py-1 pr-3">
                    <span className="sr-only">Choose</span>
                  </th>
                  <th className="py-1 pr-3">Cluster</th>
                  <th className="py-1 pr-3">Records</th>
                  <th className="py-1 pr-3">
                    <abbr title="How typical the cluster's records are of it, on average (0 to 1): HoPCM's typicality">Mean typicality</abbr>
                  </th>
                  <th className="py-1 pr-3">From</th>
                  <th className="py-1 pr-3">Policies</th>
                  <th className="py-1">For you</th>
                </tr>
              </thead>
              {groups.map((g) => (
                <tbody key={g.runId} data-testid={`run-${g.runId}`} className={g.baseName ? "border-l-4 border-slate-200" : ""}>
                  <tr className="border-t border-slate-200 bg-slate-50">
                    <th colSpan={7} scope="rowgroup" data-testid="run-heading" className={`py-2 pr-3 text-left font-normal ${g.baseName ? "pl-4" : "pl-1"}`}>
                      <span className="font-semibold">{g.name}</span> <span className="text-xs text-slate-500">finished {when(g.finishedAt)}</span>
                      {g.baseName && <span className="block text-xs text-slate-600">Adds new uploads to “{g.baseName}”</span>}
                      {g.note && <span className="block text-xs text-slate-600">{g.note}</span>}
                    </th>
                  </tr>
                  {g.clusters.map((c) => (
                    <tr key={`${c.runId}:${c.cluster}`} className="border-t border-slate-100">
                      <td className={`py-1 pr-3 ${g.baseName ? "pl-4" : ""}`}>
                        <input
                          type="radio"
                          name="cluster"
                          aria-label={`Choose cluster ${c.cluster} of ${c.runName}`}
                          checked={cluster?.runId === c.runId && cluster.cluster === c.cluster}
                          onChange={() => {
                            setCluster({ runId: c.runId, cluster: c.cluster });
                            setSelected([]);
                          }}
                        />
                      </td>
                      <td className="py-1 pr-3">
                        {c.cluster} of {c.k}
                      </td>
                      <td className="py-1 pr-3">{c.size.toLocaleString()}</td>
                      <td className="py-1 pr-3 text-xs">{c.typicality.mean === null ? "—" : c.typicality.mean.toFixed(2)}</td>
                      <td className="py-1 pr-3 text-xs">{c.organisations.join(", ")}</td>
                      <td className="py-1 pr-3 font-mono text-xs">{c.policies.join("; ")}</td>
                      <ForYouCell f={c.forYou} />
                    </tr>
                  ))}
                </tbody>
              ))}
            </table>
          </div>
        </Card>
      )}
      <Card>
        <h2 className="mb-3 font-semibold">Datasets at the cloud</h2>
        <div role="region" aria-label="Datasets you can request" tabIndex={0} className="relative overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="datasets">
            <caption className="sr-only">Datasets you can request</caption>
            <thead className="text-xs uppercase text-slate-500">
              <tr>
                <th className="py-1 pr-3">
                  <span className="sr-only">Choose</span>
                </th>
                <th className="py-1 pr-3">Dataset</th>
                <th className="py-1 pr-3">Records</th>
                <th className="py-1 pr-3">From</th>
                <th className="py-1 pr-3">Policy</th>
                <th className="py-1">For you</th>
              </tr>
            </thead>
            <tbody>
              {datasets.map((d) => (
                <tr key={d.id} className="border-t border-slate-100">
                  <td className="py-1 pr-3">
                    <input
                      type="checkbox"
                      aria-label={`Choose ${d.label}`}
                      checked={selected.includes(d.id)}
                      onChange={(e) => {
                        setCluster(null);
                        setSelected(e.target.checked ? [...selected, d.id] : selected.filter((x) => x !== d.id));
                      }}
                    />
                  </td>
                  <td className="py-1 pr-3">{d.label}</td>
                  <td className="py-1 pr-3">{d.recordCount.toLocaleString()}</td>
                  <td className="py-1 pr-3">{d.organisation}</td>
                  <td className="py-1 pr-3 font-mono text-xs">{d.policy}</td>
                  <ForYouCell f={d.forYou} />
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="mt-4 space-y-2">
          <label htmlFor="purpose" className="block text-sm font-medium">
            Purpose of use
          </label>
          <textarea
            id="purpose"
            value={purpose}
            onChange={(e) => setPurpose(e.target.value)}
            rows={2}
            className="block w-full rounded-md border border-slate-300 p-2 text-sm"
            placeholder="e.g. Retrospective study of biomarkers in breast cancer diagnosis"
          />
          <label htmlFor="period" className="block text-sm font-medium">
            Access period (days)
          </label>
          <input
            id="period"
            type="number"
            inputMode="numeric"
            min={1}
            max={ACCESS_PERIOD.maxDays}
            value={periodDays}
            onChange={(e) => setPeriodDays(e.target.value)}
            aria-describedby="period-help"
            className="block w-32 rounded-md border border-slate-300 p-2 text-sm"
          />
          <p id="period-help" className="text-xs text-slate-500">
            The cloud stops serving these records after this many days (at most {ACCESS_PERIOD.maxDays}); the hospital can end it sooner.
          </p>
          <TermsOfUse terms={involved} accepted={accepted} onChange={setAccepted} />
          <Button
            disabled={(selected.length === 0 && !cluster) || !accepted || step.name === "working"}
            onClick={() => {
              setStep({ name: "choose" });
              // The acceptance goes with this job (the box is cleared for the next request at once).
              setJob({ id: (job?.id ?? 0) + 1, selected, cluster, purpose, acceptTerms: accepted });
              setAccepted(false);
            }}
          >
            Request, sign and decrypt
          </Button>
          <p className="text-xs text-slate-500">Signing and decrypting use your attribute keys: you are asked for your key passphrase then, not to browse.</p>
        </div>
      </Card>
      {job && (
        <KeyGate gid={gid} initial={material} purpose="Signing the request and decrypting the records">
          {(contents) => <JobRunner contents={contents} job={job} run={start} />}
        </KeyGate>
      )}
      <div aria-live="polite">
        {step.name === "working" && (
          <Card>
            <p className="mb-2 text-sm">{step.note}</p>
            <Progress label="Progress" value={step.progress} testId="request-progress" />
          </Card>
        )}
        {step.name === "waiting" && (
          <Alert tone="info" title="Awaiting the hospital's decision">
            Your signature verified. The hospital that owns these records decides this request: the cloud serves nothing until it approves. Its decision appears
            under “Your requests” below; an approved request is decrypted from there.
          </Alert>
        )}
        {step.name === "error" && (
          <Alert tone="error" title="No records were decrypted">
            {step.message}{" "}
            {step.link && (
              <Link className="underline" href="/keys">
                Open My keys
              </Link>
            )}
          </Alert>
        )}
      </div>
      {step.name === "done" && <Results uploads={step.uploads} name={step.exportName} />}
    </div>
  );
}

/** The terms of use of the hospitals whose records are asked for, and the researcher's acceptance (required; checked by the server too). */
function TermsOfUse({ terms, accepted, onChange }: { terms: OrgTerms[]; accepted: boolean; onChange: (v: boolean) => void }) {
  const set = terms.filter((t) => t.terms.trim());
  return (
    <div className="space-y-2 rounded-md border border-slate-200 bg-slate-50 p-3" data-testid="terms-of-use">
      <p className="text-sm font-medium">Terms of use</p>
      {set.length === 0 ? (
        <p className="text-xs text-slate-600">The hospitals whose records you chose set no terms beyond their access policy and the purpose you state.</p>
      ) : (
        set.map((t) => (
          <div key={t.organisation} className="text-xs text-slate-700">
            <p className="font-medium">{t.organisation}</p>
            <p className="whitespace-pre-wrap break-words">{t.terms}</p>
          </div>
        ))
      )}
      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" checked={accepted} onChange={(e) => onChange(e.target.checked)} className="mt-1" />
        <span>I accept the terms of use of the hospitals whose records I request</span>
      </label>
    </div>
  );
}

/**
 * Browsing datasets and clusters needs no keys (their metadata are public); the key store is
 * unlocked only when a request is signed and its records decrypted.
 */
export function RequestFlow(props: FlowProps) {
  return <Flow {...props} />;
}
