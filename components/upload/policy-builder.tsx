"use client";

import { useEffect, useMemo, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { describeAuthorityGroups, describePolicy, formatPolicy, parsePolicy, policyAttributes, PolicyError, type PolicyNode } from "@/lib/abe";
import { addAttribute, flatGate, joinAttributes, removeAttribute, type Gate } from "@/lib/uploads/policy-edit";
import { deletePolicyTemplateAction } from "@/lib/actions/uploads/delete-policy-template";
import { savePolicyTemplateAction } from "@/lib/actions/uploads/save-policy-template";
import { policyReadersAction } from "@/lib/actions/uploads/policy-readers";
import type { PolicyReaders } from "@/lib/portal/policy-readers";
import { reach } from "@/lib/actions/reach";

export type CatalogueAttribute = { attribute: string; description?: string };
export type Template = { id: string; name: string; policy: string };

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

/** A placeholder example made of attributes that exist (an example naming unknown ones is refused). */
export function examplePolicy(names: string[]): string {
  const [a, b, c] = names;
  if (!a) return "The attribute catalogue is empty: an administrator creates attributes first.";
  if (!b) return `e.g. ${a}`;
  if (!c) return `e.g. ${a} AND ${b}`;
  return `e.g. ${a} AND (${b} OR ${c})`;
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
  // preferred gate and k for a policy that does not say (empty or one attribute)
  const [preferred, setPreferred] = useState<Gate>("AND");
  const [preferredK, setPreferredK] = useState(2);
  const [templates, setTemplates] = useState(initialTemplates);
  const [templateName, setTemplateName] = useState("");
  const [templateMsg, setTemplateMsg] = useState<string | null>(null);
  const state = evaluatePolicy(value, names);
  // The chips and the gate reflect the typed text: they are read from it, never kept apart.
  const unparsable = Boolean(state.error);
  const inPolicy = new Set(state.node ? policyAttributes(state.node) : []);
  const flat = state.node ? flatGate(state.node) : null;
  const nested = Boolean(state.node) && !flat;
  const gate: Gate = flat?.gate ?? preferred;
  const k = flat?.gate === "THRESHOLD" ? flat.k : preferredK;
  const attributes = flat?.attributes ?? [];
  const readable = state.node && state.unknown.length === 0 ? formatPolicy(state.node) : null;
  const readers = useReaders(readable);

  function toggle(attribute: string) {
    if (unparsable) return; // never rewrite text that does not parse
    if (state.node && inPolicy.has(attribute)) return onChange(removeAttribute(state.node, attribute));
    onChange(addAttribute(value, state.node, attribute, gate, k));
  }

  function regate(nextGate: Gate, nextK: number) {
    setPreferred(nextGate);
    setPreferredK(nextK);
    if (flat && flat.attributes.length > 1) onChange(joinAttributes(flat.attributes, nextGate, nextK));
  }

  return (
    <div className="space-y-4">
      <fieldset aria-describedby="chips-hint">
        <legend className="text-sm font-medium text-slate-800">Attributes</legend>
        <p id="chips-hint" className="text-xs text-slate-500" data-testid="chips-hint">
          {unparsable
            ? "The policy below does not parse, so the chips cannot show or change it: fix the text (or clear it) to use them."
            : "Readers must hold attributes that satisfy the policy. A highlighted chip is in the policy; click one to add it (with AND) or remove it."}
        </p>
        <div className="mt-2 flex flex-wrap gap-2">
          {catalogue.map((c) => (
            <label
              key={c.attribute}
              title={c.description}
              className={`flex items-center gap-1 rounded-full border px-3 py-1 text-xs has-[:focus-visible]:outline has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-brand-600 ${unparsable ? "cursor-not-allowed border-slate-200 text-slate-400" : "cursor-pointer"} ${inPolicy.has(c.attribute) ? "border-brand-600 bg-brand-50" : "border-slate-300"}`}
            >
              <input type="checkbox" className="sr-only" disabled={unparsable} checked={inPolicy.has(c.attribute)} onChange={() => toggle(c.attribute)} />
              <span className="font-mono">{c.attribute}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset className="flex flex-wrap items-center gap-4 text-sm" disabled={unparsable || nested} aria-describedby={nested ? "gate-hint" : undefined}>
        <legend className="sr-only">Combine the attributes</legend>
        {(["AND", "OR", "THRESHOLD"] as const).map((g) => (
          <label key={g} className="flex items-center gap-1">
            <input type="radio" name="gate" checked={!nested && gate === g} onChange={() => regate(g, k)} />
            {g === "AND" ? "all of them (AND)" : g === "OR" ? "any of them (OR)" : "at least"}
          </label>
        ))}
        {gate === "THRESHOLD" && !nested && (
          <label className="flex items-center gap-1">
            <span className="sr-only">How many</span>
            <input
              type="number"
              min={1}
              max={Math.max(1, attributes.length)}
              value={k}
              className="w-16 rounded border border-slate-300 px-2 py-1"
              onChange={(e) => regate("THRESHOLD", Number(e.target.value))}
            />{" "}
            of them
          </label>
        )}
        {nested && (
          <span id="gate-hint" className="text-xs text-slate-500">
            The policy nests groups; edit its text to change how they combine.
          </span>
        )}
      </fieldset>
      <div className="space-y-1">
        <label htmlFor="policy" className="block text-sm font-medium text-slate-800">
          Policy
        </label>
        <textarea
          id="policy"
          rows={2}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={Boolean(state.error || state.unknown.length) || undefined}
          aria-describedby="policy-feedback"
          placeholder={examplePolicy(names)}
          className="block w-full rounded-md border border-slate-300 p-2 font-mono text-sm"
        />
        <div id="policy-feedback" aria-live="polite" data-testid="policy-feedback">
          {state.error && <pre className="whitespace-pre-wrap rounded-md bg-red-50 p-2 text-xs text-red-800">{state.error}</pre>}
          {state.unknown.length > 0 && (
            <Alert tone="error">
              Unknown attribute{state.unknown.length > 1 ? "s" : ""}: {state.unknown.join(", ")}. Only catalogue attributes can protect data.
            </Alert>
          )}
          {state.node && state.unknown.length === 0 && <Alert tone="success">Readable by {describePolicy(state.node)}.</Alert>}
        </div>
        {readable && <WhoCanRead readers={readers} />}
      </div>
      <details className="rounded-md border border-slate-200 p-3 text-sm">
        <summary className="cursor-pointer font-medium">Policy templates of your hospital ({templates.length})</summary>
        <ul className="mt-2 space-y-1">
          {templates.map((t) => (
            <li key={t.id} className="flex items-center gap-2">
              <button type="button" className="text-brand-700 underline" onClick={() => onChange(t.policy)}>
                {t.name}
              </button>
              <code className="text-xs text-slate-600">{t.policy}</code>
              <button
                type="button"
                aria-label={`Delete template ${t.name}`}
                className="ml-auto text-xs text-red-700"
                onClick={async () => {
                  if (!confirm(`Delete the template “${t.name}”?`)) return;
                  const r = await reach(deletePolicyTemplateAction)({ id: t.id });
                  if (r.ok) setTemplates((all) => all.filter((x) => x.id !== t.id));
                }}
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
        <div className="mt-3 flex gap-2">
          <label htmlFor="template-name" className="sr-only">
            Template name
          </label>
          <input
            id="template-name"
            value={templateName}
            onChange={(e) => setTemplateName(e.target.value)}
            placeholder="Template name"
            className="rounded border border-slate-300 px-2 py-1"
          />
          <Button
            type="button"
            variant="secondary"
            disabled={!state.node || state.unknown.length > 0 || !templateName.trim()}
            onClick={async () => {
              const r = await reach(savePolicyTemplateAction)({ name: templateName, policy: formatPolicy(state.node!) });
              setTemplateMsg(r.ok ? `Saved “${r.data.name}”.` : r.error.message);
              if (r.ok) setTemplates((all) => [...all.filter((x) => x.name !== r.data.name), r.data]);
            }}
          >
            Save current policy
          </Button>
        </div>
        {templateMsg && (
          <p className="mt-1 text-xs" role="status">
            {templateMsg}
          </p>
        )}
      </details>
    </div>
  );
}

type ReadersState = { policy: string; result: PolicyReaders } | { policy: string; error: string } | null;

/** Asks the authority who can read the policy, once the text has been still for a moment; the newest answer wins. */
function useReaders(policy: string | null): ReadersState {
  const [answer, setAnswer] = useState<ReadersState>(null);
  useEffect(() => {
    if (!policy) return;
    let current = true;
    const timer = setTimeout(async () => {
      const r = await policyReadersAction({ policy }).catch(() => null);
      if (!current) return;
      if (r?.ok) setAnswer({ policy, result: r.data });
      else setAnswer({ policy, error: r?.error.message ?? "The authority did not answer." });
    }, 350);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [policy]);
  return answer && answer.policy === policy ? answer : null;
}

/** How many approved people could read the policy today, and which attribute authorities could issue such keys. */
function WhoCanRead({ readers }: { readers: ReadersState }) {
  return (
    <div aria-live="polite" data-testid="policy-readers" className="text-sm">
      {!readers ? (
        <p className="text-xs text-slate-500">Checking who can read it…</p>
      ) : "error" in readers ? (
        <p className="text-xs text-slate-600">Could not check who can read it: {readers.error}</p>
      ) : (
        <div className="space-y-1 rounded-md border border-slate-200 p-3">
          <p className="font-medium text-slate-800">Who can read it</p>
          {readers.result.people === 0 ? (
            <p className="text-amber-900">
              No approved person holds a satisfying set of attributes today: nobody could read these records until an administrator grants such attributes.
            </p>
          ) : (
            <p>
              {readers.result.people === 1 ? "1 approved person holds" : `${readers.result.people} approved people hold`} a satisfying set of attributes today.
            </p>
          )}
          <p className="text-xs text-slate-600">
            Keys for it can be issued by {describeAuthorityGroups(readers.result.authorityGroups)}
            {Object.keys(readers.result.authorityNames).length > 0 &&
              ` (${Object.entries(readers.result.authorityNames)
                .map(([code, name]) => `${code}: ${name}`)
                .join("; ")})`}
            . Such a group’s operators could issue themselves those keys and read the records: an authority can issue keys for its own attributes (key escrow
            per authority is part of attribute-based encryption).
          </p>
        </div>
      )}
    </div>
  );
}
