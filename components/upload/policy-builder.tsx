"use client";

import { useMemo, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { describePolicy, formatPolicy, parsePolicy, policyAttributes, PolicyError, type PolicyNode } from "@/lib/abe";
import { deletePolicyTemplateAction, savePolicyTemplateAction } from "@/lib/actions/uploads/policy-templates";

export type CatalogueAttribute = { attribute: string; description?: string };
export type Template = { id: string; name: string; policy: string };
type Gate = "AND" | "OR" | "THRESHOLD";

export type PolicyState = { text: string; node: PolicyNode | null; error: string | null; unknown: string[] };

/** Parses and checks a policy against the catalogue; never throws. */
export function evaluatePolicy(text: string, catalogue: string[]): PolicyState {
  if (!text.trim()) return { text, node: null, error: null, unknown: [] };
  try {
    const node = parsePolicy(text);
    return { text, node, error: null, unknown: policyAttributes(node).filter((a) => !catalogue.includes(a)) };
  } catch (e) {
    if (e instanceof PolicyError) {
      return { text, node: null, error: `${e.message}\n${text}\n${" ".repeat(Math.max(0, e.position))}^`, unknown: [] };
    }
    return { text, node: null, error: "Not a policy.", unknown: [] };
  }
}

/**
 * Builds an access policy: pick attributes and a gate (all / any / at least k), or type the
 * policy; live validation with the error position, a plain-language reading, saved templates.
 */
export function PolicyBuilder({
  catalogue,
  templates: initialTemplates,
  value,
  onChange,
}: {
  catalogue: CatalogueAttribute[];
  templates: Template[];
  value: string;
  onChange: (text: string) => void;
}) {
  const names = useMemo(() => catalogue.map((c) => c.attribute), [catalogue]);
  const [picked, setPicked] = useState<string[]>([]);
  const [gate, setGate] = useState<Gate>("AND");
  const [k, setK] = useState(2);
  const [templates, setTemplates] = useState(initialTemplates);
  const [templateName, setTemplateName] = useState("");
  const [templateMsg, setTemplateMsg] = useState<string | null>(null);
  const state = evaluatePolicy(value, names);

  function build(nextPicked: string[], nextGate: Gate, nextK: number) {
    if (nextPicked.length === 0) return onChange("");
    if (nextPicked.length === 1) return onChange(nextPicked[0]);
    if (nextGate === "THRESHOLD") return onChange(`${Math.min(Math.max(1, nextK), nextPicked.length)} of (${nextPicked.join(", ")})`);
    onChange(nextPicked.join(` ${nextGate} `));
  }

  return (
    <div className="space-y-4">
      <fieldset>
        <legend className="text-sm font-medium text-slate-800">Attributes</legend>
        <p className="text-xs text-slate-500">Readers must hold attributes that satisfy the policy. Pick some, then how to combine them.</p>
        <div className="mt-2 flex flex-wrap gap-2">
          {catalogue.map((c) => (
            <label key={c.attribute} title={c.description} className={`flex cursor-pointer items-center gap-1 rounded-full border px-3 py-1 text-xs has-focus-visible:outline-2 has-focus-visible:outline-offset-2 has-focus-visible:outline-brand-700 ${picked.includes(c.attribute) ? "border-brand-600 bg-brand-50" : "border-slate-300"}`}>
              <input
                type="checkbox"
                className="sr-only"
                checked={picked.includes(c.attribute)}
                onChange={(e) => {
                  const next = e.target.checked ? [...picked, c.attribute] : picked.filter((p) => p !== c.attribute);
                  setPicked(next);
                  build(next, gate, k);
                }}
              />
              <span className="font-mono">{c.attribute}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset className="flex flex-wrap items-center gap-4 text-sm">
        <legend className="sr-only">Combine the attributes</legend>
        {(["AND", "OR", "THRESHOLD"] as const).map((g) => (
          <label key={g} className="flex items-center gap-1">
            <input type="radio" name="gate" checked={gate === g} onChange={() => { setGate(g); build(picked, g, k); }} />
            {g === "AND" ? "all of them (AND)" : g === "OR" ? "any of them (OR)" : "at least"}
          </label>
        ))}
        {gate === "THRESHOLD" && (
          <label className="flex items-center gap-1">
            <span className="sr-only">How many</span>
            <input type="number" min={1} max={Math.max(1, picked.length)} value={k} className="w-16 rounded border border-slate-300 px-2 py-1"
              onChange={(e) => { const v = Number(e.target.value); setK(v); build(picked, gate, v); }} /> of them
          </label>
        )}
      </fieldset>
      <div className="space-y-1">
        <label htmlFor="policy" className="block text-sm font-medium text-slate-800">Policy</label>
        <textarea
          id="policy"
          rows={2}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={Boolean(state.error || state.unknown.length) || undefined}
          aria-describedby="policy-feedback"
          placeholder="e.g. HA1.researcher AND (HA1.cardiology OR 2 of (HA1.oncology, HA2.genomics, HA2.trials))"
          className="block w-full rounded-md border border-slate-300 p-2 font-mono text-sm"
        />
        <div id="policy-feedback" aria-live="polite" data-testid="policy-feedback">
          {state.error && <pre className="whitespace-pre-wrap rounded-md bg-red-50 p-2 text-xs text-red-800">{state.error}</pre>}
          {state.unknown.length > 0 && <Alert tone="error">Unknown attribute{state.unknown.length > 1 ? "s" : ""}: {state.unknown.join(", ")}. Only catalogue attributes can protect data.</Alert>}
          {state.node && state.unknown.length === 0 && <Alert tone="success">Readable by {describePolicy(state.node)}.</Alert>}
        </div>
      </div>
      <details className="rounded-md border border-slate-200 p-3 text-sm">
        <summary className="cursor-pointer font-medium">Policy templates of your hospital ({templates.length})</summary>
        <ul className="mt-2 space-y-1">
          {templates.map((t) => (
            <li key={t.id} className="flex items-center gap-2">
              <button type="button" className="text-brand-700 underline" onClick={() => onChange(t.policy)}>{t.name}</button>
              <code className="text-xs text-slate-600">{t.policy}</code>
              <button type="button" aria-label={`Delete template ${t.name}`} className="ml-auto text-xs text-red-700"
                onClick={async () => {
                  if (!confirm(`Delete the template “${t.name}”?`)) return;
                  const r = await deletePolicyTemplateAction({ id: t.id });
                  if (r.ok) setTemplates((all) => all.filter((x) => x.id !== t.id));
                }}>Delete</button>
            </li>
          ))}
        </ul>
        <div className="mt-3 flex gap-2">
          <label htmlFor="template-name" className="sr-only">Template name</label>
          <input id="template-name" value={templateName} onChange={(e) => setTemplateName(e.target.value)} placeholder="Template name" className="rounded border border-slate-300 px-2 py-1" />
          <Button type="button" variant="secondary" disabled={!state.node || state.unknown.length > 0 || !templateName.trim()}
            onClick={async () => {
              const r = await savePolicyTemplateAction({ name: templateName, policy: formatPolicy(state.node!) });
              setTemplateMsg(r.ok ? `Saved “${r.data.name}”.` : r.error.message);
              if (r.ok) setTemplates((all) => [...all.filter((x) => x.name !== r.data.name), r.data]);
            }}>Save current policy</Button>
        </div>
        {templateMsg && <p className="mt-1 text-xs" role="status">{templateMsg}</p>}
      </details>
    </div>
  );
}
