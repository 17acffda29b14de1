"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { updateOrgSettingsAction } from "@/lib/actions/organisation/update-settings";
import type { OrgSettings } from "@/lib/portal/organisation";
import { DecisionFields, decisionInput, type DecisionChoice } from "./decision-fields";
import { reach } from "@/lib/actions/reach";

/** The hospital's default for deciding requests and its terms of use. */
export function SettingsForm({ settings }: { settings: OrgSettings }) {
  const router = useRouter();
  const [choice, setChoice] = useState<DecisionChoice>({
    decisionMode: settings.decisionMode,
    approverId: settings.approverId ?? "",
    reviewerId: settings.reviewerId ?? "",
  });
  const [terms, setTerms] = useState(settings.terms);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [message, setMessage] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="space-y-6"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        const res = await reach(updateOrgSettingsAction)({ ...decisionInput(choice), terms });
        setBusy(false);
        if (!res.ok) {
          setErrors(res.error.fieldErrors ?? {});
          return setMessage({ tone: "error", text: res.error.message });
        }
        setErrors({});
        setMessage({ tone: "ok", text: "Saved: new uploads default to this choice; researchers see these terms when they ask for your records." });
        router.refresh();
      }}
    >
      <DecisionFields value={choice} onChange={setChoice} staff={settings.staff} errors={errors} idPrefix="org" />
      <div className="space-y-1">
        <label htmlFor="terms" className="block text-sm font-medium">
          Terms of use
        </label>
        <textarea
          id="terms"
          value={terms}
          onChange={(e) => setTerms(e.target.value)}
          rows={6}
          maxLength={5000}
          aria-describedby="terms-hint"
          className="block w-full rounded-md border border-slate-300 p-2 text-sm"
        />
        <p id="terms-hint" className="text-xs text-slate-500">
          Shown to every researcher who asks for your records; they must accept them before the request is made.
        </p>
        {errors.terms?.map((e) => (
          <p key={e} role="alert" className="text-xs font-medium text-red-700">
            {e}
          </p>
        ))}
      </div>
      <div aria-live="polite">
        {message && (
          <p
            role={message.tone === "error" ? "alert" : "status"}
            className={`rounded-md px-4 py-2 text-sm ${message.tone === "error" ? "bg-red-50 text-red-800" : "bg-emerald-50 text-emerald-900"}`}
          >
            {message.text}
          </p>
        )}
      </div>
      <Button type="submit" disabled={busy}>
        {busy ? "Saving…" : "Save settings"}
      </Button>
    </form>
  );
}
