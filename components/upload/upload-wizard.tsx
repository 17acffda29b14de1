"use client";

import Link from "next/link";
import { useMemo, useRef, useState } from "react";
import { KeyGate } from "@/components/keys/key-gate";
import type { KeyMaterial } from "@/components/keys/use-key-store";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field, TextInput } from "@/components/ui/field";
import { Card } from "@/components/ui/page-header";
import { Progress } from "@/components/ui/progress";
import type { PolicyNode } from "@/lib/abe";
import { latestVersions, type PublicKeyRow } from "@/lib/keystore/operations";
import type { KeystoreContents } from "@/lib/keystore/sealed";
import { MAX_FILE_BYTES, hasErrors, type Dataset, type Issue } from "@/lib/records/dataset";
import { parseCsvDataset } from "@/lib/records/csv-import";
import { parseFhirBundle } from "@/lib/records/fhir-import";
import { deidentify, findPhi, SAFE_HARBOR_LABELS, type PhiFinding } from "@/lib/records/phi";
import { useLeaveWarning } from "./use-leave-warning";
import { sourceDigest } from "@/lib/uploads/source-digest";
import { notTextMessage, notTextReason } from "@/lib/records/text-file";
import { clearUploadMeasures, measureSince } from "@/lib/uploads/timing";
import { encryptAndUploadDataset } from "./upload-pipeline";

import { evaluatePolicy, PolicyBuilder, type Template } from "./policy-builder";
import { DecisionFields, decisionInput, type DecisionChoice, type StaffMember } from "@/components/organisation/decision-fields";

/** `digest`: the salted digest of the file's bytes (lib/uploads/source-digest.ts); null for a file not read as text. */
type Parsed = { fileName: string; format: "csv" | "fhir"; dataset: Dataset | null; issues: Issue[]; text: boolean; digest: string | null };
type Duplicate = { id: string; label: string; status: "RECEIVING" | "STORED"; recordCount: number; createdAt: string };
type Decision = "drop" | "generalize" | "keep";
type Phase =
  | { name: "edit" }
  | { name: "working"; encrypt: number | null; upload: { sent: number; total: number } | null; note: string; features?: { sent: number; total: number } | null }
  | { name: "done"; records: number; seconds: number; features: { failed: boolean; note: string } }
  | { name: "paused"; message: string }
  | { name: "failed"; message: string };

function parseFile(fileName: string, text: string, digest: string): Parsed {
  const format = /\.json$/i.test(fileName) || text.trimStart().startsWith("{") ? "fhir" : "csv";
  const result = format === "fhir" ? parseFhirBundle(text) : parseCsvDataset(text);
  return { fileName, format, ...result, text: true, digest };
}

/** The organisation's uploads of the same file (same digest); null when the check could not run. */
async function uploadsOfSameFile(digest: string): Promise<Duplicate[] | null> {
  const res = await fetch(`/api/uploads?digest=${digest}`).catch(() => null);
  if (!res?.ok) return null;
  const body = await res.json().catch(() => null);
  return Array.isArray(body?.uploads) ? body.uploads : null;
}

function IssueList({ issues }: { issues: Issue[] }) {
  if (issues.length === 0) return null;
  const errors = issues.filter((i) => i.severity === "error");
  return (
    <div className="space-y-2" data-testid="parse-issues">
      <Alert
        tone={errors.length ? "error" : "warning"}
        title={errors.length ? `${errors.length} problem${errors.length > 1 ? "s" : ""}: nothing will be uploaded until the file is fixed` : "Warnings"}
      >
        <ul className="mt-1 max-h-48 list-disc overflow-auto pl-5 text-xs">
          {issues.slice(0, 100).map((i, n) => (
            <li key={n}>
              {i.row !== undefined && (
                <strong>
                  Row {i.row}
                  {i.column ? `, ${i.column}` : ""}:{" "}
                </strong>
              )}
              {i.row === undefined && i.path && <code className="mr-1">{i.path}</code>}
              {i.message}
            </li>
          ))}
        </ul>
      </Alert>
    </div>
  );
}

function Preview({ dataset }: { dataset: Dataset }) {
  const cols = dataset.columns.slice(0, 12);
  return (
    <div role="region" aria-label="Preview of the file" tabIndex={0} className="relative overflow-x-auto">
      <table className="min-w-full text-left text-xs" data-testid="preview">
        <caption className="mb-1 text-left text-sm text-slate-600">
          {dataset.rows.length.toLocaleString()} records, {dataset.columns.length} columns{dataset.columns.length > 12 ? " (first 12 shown)" : ""}. Preview of
          the first rows; this stays in your browser.
        </caption>
        <thead>
          <tr>
            {cols.map((c) => (
              <th key={c.name} className="border-b px-2 py-1 font-medium">
                {c.name}
                <span className="block font-normal text-slate-500">{c.kind}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {dataset.rows.slice(0, 6).map((r, i) => (
            <tr key={i} className="border-b border-slate-100">
              {cols.map((c) => (
                <td key={c.name} className="px-2 py-1">
                  {r[c.name] === null ? "—" : String(r[c.name])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export type Replacing = { id: string; label: string; policy: string; recordCount: number } | null;

function UploadFlow({
  contents,
  organisationId,
  catalogue,
  templates,
  replacing,
  decisionDefault,
  staff,
}: {
  contents: KeystoreContents;
  organisationId: string;
  catalogue: PublicKeyRow[];
  templates: Template[];
  replacing: Replacing;
  decisionDefault: DecisionChoice;
  staff: StaffMember[];
}) {
  // Who decides requests for this upload: the hospital's default unless changed here (issue #15).
  const [decider, setDecider] = useState<DecisionChoice>(decisionDefault);
  const [parsed, setParsed] = useState<Parsed | null>(null);
  const [decisions, setDecisions] = useState<Record<string, Decision>>({});
  const [policy, setPolicy] = useState(replacing?.policy ?? "");
  const [label, setLabel] = useState(replacing?.label ?? "");
  const held = Object.keys(latestVersions(contents));
  const [signer, setSigner] = useState(held.find((a) => a.endsWith(".hospital")) ?? held[0] ?? "");
  const [acceptPhi, setAcceptPhi] = useState(false);
  const [blind, setBlind] = useState(false);
  const [phase, setPhase] = useState<Phase>({ name: "edit" });
  const [dragging, setDragging] = useState(false);
  const [duplicates, setDuplicates] = useState<Duplicate[] | null>(null);
  const [acceptDuplicate, setAcceptDuplicate] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  // The label the last picked file suggested: a new file replaces it, a typed label stays.
  const suggestedLabel = useRef<string | null>(null);
  // One upload per click, even when a double click lands before the phase re-renders.
  const busy = useRef(false);
  // When the current file was picked (performance.now()): the upload's "total" stage starts there.
  const pickedAt = useRef<number | null>(null);
  useLeaveWarning(phase.name === "working");

  const current = useMemo(() => catalogue.filter((k) => k.current), [catalogue]);
  const names = current.map((k) => k.attribute);
  const policyState = evaluatePolicy(policy, names);
  const dataset = parsed?.dataset ?? null;
  const findings: PhiFinding[] = useMemo(() => (dataset ? findPhi(dataset) : []), [dataset]);
  const kept = findings.filter((f) => (decisions[f.column] ?? f.suggested) === "keep");

  async function onFile(file: File) {
    const picked = performance.now();
    pickedAt.current = picked;
    clearUploadMeasures();
    setPhase({ name: "edit" });
    setDecisions({});
    setAcceptPhi(false);
    setDuplicates(null);
    setAcceptDuplicate(false);
    const suggested = file.name.replace(/\.[^.]+$/, "").slice(0, 80);
    if (!label.trim() || label === suggestedLabel.current) setLabel(suggested);
    suggestedLabel.current = suggested;
    const refuse = (message: string) =>
      setParsed({ fileName: file.name, format: "csv", dataset: null, issues: [{ severity: "error", message }], text: false, digest: null });
    if (file.size > MAX_FILE_BYTES)
      return refuse(`The file is ${(file.size / 1048576).toFixed(1)} MB; the limit is ${MAX_FILE_BYTES / 1048576} MB. Split it into smaller files.`);
    const bytes = new Uint8Array(await file.arrayBuffer());
    const binary = notTextReason(bytes);
    if (binary) return refuse(notTextMessage(binary));
    const digest = await sourceDigest(organisationId, bytes);
    setParsed(parseFile(file.name, new TextDecoder().decode(bytes), digest));
    measureSince("parse", picked);
    const same = await uploadsOfSameFile(digest);
    setDuplicates(same?.filter((u) => u.id !== replacing?.id) ?? null);
  }

  function startOver() {
    setParsed(null);
    setPhase({ name: "edit" });
    setDecisions({});
    setAcceptPhi(false);
    setDuplicates(null);
    setAcceptDuplicate(false);
    setLabel("");
    suggestedLabel.current = null;
    if (fileInput.current) fileInput.current.value = "";
    fileInput.current?.focus();
  }

  function applyDeidentification() {
    if (!dataset) return;
    const chosen = Object.fromEntries(findings.map((f) => [f.column, decisions[f.column] ?? f.suggested]));
    // keep ages numeric (over-89s become 90) so they stay usable as a clustering feature
    const next = deidentify(dataset, chosen, { ageTopCode: "number" });
    setParsed({ ...parsed!, dataset: next });
    setDecisions({});
  }

  const duplicate = (duplicates?.length ?? 0) > 0;
  const ready =
    dataset &&
    !hasErrors(parsed!.issues) &&
    policyState.node &&
    policyState.unknown.length === 0 &&
    signer &&
    label.trim() &&
    (kept.length === 0 || acceptPhi) &&
    (!duplicate || acceptDuplicate) &&
    phase.name !== "working" &&
    phase.name !== "done";

  async function encryptAndUpload() {
    if (!ready || !dataset || !policyState.node || busy.current) return;
    busy.current = true;
    try {
      await encryptAndUploadOnce(dataset, policyState.node);
    } finally {
      busy.current = false;
    }
  }

  async function encryptAndUploadOnce(dataset: Dataset, policyNode: PolicyNode) {
    const outcome = await encryptAndUploadDataset(
      {
        dataset,
        policy: policyNode,
        publicKeys: catalogue,
        contents,
        signer,
        organisationId,
        label: label.trim(),
        format: parsed!.format,
        replaces: replacing?.id,
        sourceDigest: parsed?.digest ?? undefined,
        decision: decisionInput(decider),
        pickedAt: pickedAt.current,
        blind,
      },
      (shown) => setPhase({ name: "working", ...shown }),
    );
    setPhase(outcome.name === "done" ? { name: "done", records: outcome.records, seconds: outcome.seconds, features: outcome.features } : outcome);
  }

  return (
    <div className="space-y-6">
      {replacing && (
        <Alert tone="info" title={`Re-encrypting “${replacing.label}” (${replacing.recordCount.toLocaleString()} records)`}>
          Choose the same source file. It is encrypted under the current key versions; once the cloud has stored it, the old copy is removed.
        </Alert>
      )}
      <Card>
        <h2 className="mb-3 font-semibold">1. Choose a file</h2>
        <label
          htmlFor="file"
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            const f = e.dataTransfer.files[0];
            if (f) void onFile(f);
          }}
          className={`flex cursor-pointer flex-col items-center rounded-lg border-2 border-dashed px-6 py-8 text-center text-sm has-focus-visible:outline-2 has-focus-visible:outline-offset-2 has-focus-visible:outline-brand-700 ${dragging ? "border-brand-600 bg-brand-50" : "border-slate-300"}`}
        >
          <span className="font-medium">Drop a CSV (header row) or a FHIR R4 Bundle (JSON) here, or click to choose</span>
          <span className="mt-1 text-xs text-slate-500">Parsed and encrypted here, in your browser. Up to {MAX_FILE_BYTES / 1048576} MB.</span>
          <input
            ref={fileInput}
            id="file"
            type="file"
            accept=".csv,.json,text/csv,application/json,application/fhir+json"
            className="sr-only"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void onFile(f);
            }}
          />
        </label>
        {parsed && (
          <div className="mt-4 space-y-3">
            <p className="text-sm" data-testid="picked-file">
              <strong>{parsed.fileName}</strong>
              {parsed.text ? ` read as ${parsed.format === "fhir" ? "a FHIR R4 Bundle" : "CSV"}.` : " was not read."}
            </p>
            <IssueList issues={parsed.issues} />
            {duplicate && (
              <Alert tone="warning" title="This file was already uploaded">
                <span data-testid="duplicate-warning">
                  Your hospital uploaded the same file before:{" "}
                  {duplicates!
                    .map(
                      (u) =>
                        `“${u.label}” (${u.recordCount.toLocaleString()} records, ${new Date(u.createdAt).toISOString().slice(0, 10)}${u.status === "RECEIVING" ? ", unfinished" : ""})`,
                    )
                    .join("; ")}
                  . Uploading it again stores a second, identical copy.
                </span>
                <label className="mt-2 flex items-center gap-2">
                  <input type="checkbox" checked={acceptDuplicate} onChange={(e) => setAcceptDuplicate(e.target.checked)} />
                  Upload it again anyway
                </label>
              </Alert>
            )}
            {dataset && <Preview dataset={dataset} />}
          </div>
        )}
      </Card>

      {dataset && findings.length > 0 && (
        <Card>
          <h2 className="font-semibold">2. Identifiers (HIPAA Safe Harbor)</h2>
          <Alert tone="warning" title={`${findings.length} column${findings.length > 1 ? "s" : ""} look like patient identifiers`}>
            Encrypted or not, share identifiers only when the purpose needs them. De-identify removes or generalises them before encryption.
          </Alert>
          <div role="region" aria-label="Columns that look like identifiers" tabIndex={0} className="relative overflow-x-auto">
            <table className="mt-3 w-full text-left text-sm" data-testid="phi-findings">
              <thead className="text-xs uppercase text-slate-500">
                <tr>
                  <th className="py-1 pr-3">Column</th>
                  <th className="py-1 pr-3">Looks like</th>
                  <th className="py-1">Action</th>
                </tr>
              </thead>
              <tbody>
                {findings.map((f) => (
                  <tr key={f.column} className="border-t border-slate-100">
                    <td className="py-1 pr-3 font-mono">{f.column}</td>
                    <td className="py-1 pr-3">
                      {SAFE_HARBOR_LABELS[f.identifier]}
                      <span className="block text-xs text-slate-500">{f.evidence}</span>
                    </td>
                    <td className="py-1">
                      <label className="sr-only" htmlFor={`phi-${f.column}`}>
                        Action for {f.column}
                      </label>
                      <select
                        id={`phi-${f.column}`}
                        value={decisions[f.column] ?? f.suggested}
                        onChange={(e) => setDecisions({ ...decisions, [f.column]: e.target.value as Decision })}
                        className="rounded border border-slate-300 px-2 py-1 text-xs"
                      >
                        <option value="drop">drop the column</option>
                        <option value="generalize">generalise</option>
                        <option value="keep">keep as is</option>
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="mt-3 flex flex-wrap items-center gap-4">
            <Button type="button" onClick={applyDeidentification}>
              De-identify
            </Button>
            {kept.length > 0 && (
              <label className="flex items-center gap-2 text-sm">
                <input type="checkbox" checked={acceptPhi} onChange={(e) => setAcceptPhi(e.target.checked)} />I confirm {kept.map((k) => k.column).join(", ")}{" "}
                may be shared under the policy.
              </label>
            )}
          </div>
        </Card>
      )}
      {dataset && findings.length === 0 && <Alert tone="success">No HIPAA Safe Harbor identifiers found in the columns.</Alert>}

      {dataset && !hasErrors(parsed!.issues) && (
        <Card>
          <h2 className="mb-3 font-semibold">3. Who may read these records?</h2>
          <PolicyBuilder catalogue={current} templates={templates} value={policy} onChange={setPolicy} />
          <div className="mt-4 grid grid-cols-1 gap-4 sm:grid-cols-2">
            <Field id="label" label="Label" hint="Shown to researchers; don't put patient details here.">
              <TextInput id="label" value={label} onChange={(e) => setLabel(e.target.value)} maxLength={120} />
            </Field>
            <Field id="signer" label="Sign as (source authenticity)" hint="Researchers will see this attribute and your GID as the verified source.">
              <select
                id="signer"
                value={signer}
                onChange={(e) => setSigner(e.target.value)}
                className="block w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
              >
                {held.length === 0 && <option value="">You hold no attribute keys</option>}
                {held.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          <div className="mt-4">
            <DecisionFields value={decider} onChange={setDecider} staff={staff} idPrefix="upload" />
          </div>
          <label className="mt-4 flex items-start gap-2 text-sm">
            <input type="checkbox" className="mt-1" checked={blind} onChange={(e) => setBlind(e.target.checked)} />
            <span>
              Prepare for blind clustering (preview)
              <span className="block text-xs text-slate-500">
                The clustering key holder then sees only per-cluster totals, never a value of one record. Blind runs cluster it with other blind uploads only
                and keep each record&apos;s cluster, nothing more.
              </span>
            </span>
          </label>
        </Card>
      )}

      <div aria-live="polite" className="space-y-3">
        {phase.name === "working" && (
          <Card>
            <p className="mb-3 text-sm">{phase.note}</p>
            <div className="space-y-3">
              <Progress label="Encryption" value={phase.encrypt} testId="progress-encrypt" />
              <Progress label="Upload" value={phase.upload ? phase.upload.sent : 0} max={phase.upload?.total ?? 1} testId="progress-upload" />
              {phase.features && <Progress label="Clustering tensors" value={phase.features.sent} max={phase.features.total} testId="progress-features" />}
            </div>
          </Card>
        )}
        {phase.name === "done" && (
          <Alert
            tone={phase.features.failed ? "warning" : "success"}
            title={phase.features.failed ? "Upload stored, without clustering data" : "Upload stored"}
          >
            {phase.records.toLocaleString()} records encrypted in your browser and verified by the cloud in {phase.seconds.toFixed(1)} s. {phase.features.note}{" "}
            {phase.features.failed ? (
              <Link href="/hospital" className="underline">
                Retry sending the clustering data from your uploads
              </Link>
            ) : (
              <Link href="/hospital" className="underline">
                See your uploads
              </Link>
            )}
            .
          </Alert>
        )}
        {phase.name === "paused" && (
          <Alert tone="warning" title="Upload paused">
            {phase.message} The cloud keeps what arrived, and this browser keeps the encrypted package, until the upload expires.{" "}
            <Link href="/hospital" className="underline">
              Resume it from your uploads
            </Link>
            .
          </Alert>
        )}
        {phase.name === "failed" && (
          <Alert tone="error" title="Not uploaded">
            {phase.message} Nothing was stored.
          </Alert>
        )}
      </div>

      {phase.name === "done" ? (
        <Button type="button" variant="secondary" onClick={startOver}>
          Upload another file
        </Button>
      ) : (
        dataset && (
          <Button
            type="button"
            disabled={!ready}
            onClick={() => encryptAndUpload().catch((e) => setPhase({ name: "failed", message: e instanceof Error ? e.message : "Upload failed." }))}
          >
            Encrypt and upload
          </Button>
        )
      )}
    </div>
  );
}

export function UploadWizard(props: {
  gid: string;
  organisationId: string;
  material: KeyMaterial;
  catalogue: PublicKeyRow[];
  templates: Template[];
  replacing: Replacing;
  decisionDefault: DecisionChoice;
  staff: StaffMember[];
}) {
  return (
    <KeyGate gid={props.gid} initial={props.material} purpose="Uploading">
      {(contents) => (
        <UploadFlow
          contents={contents}
          organisationId={props.organisationId}
          catalogue={props.catalogue}
          templates={props.templates}
          replacing={props.replacing}
          decisionDefault={props.decisionDefault}
          staff={props.staff}
        />
      )}
    </KeyGate>
  );
}
