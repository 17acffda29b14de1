"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { witnessNowAction } from "@/lib/actions/ledger/witness";
import { reach } from "@/lib/actions/reach";

type Outcome = { outcome: string; problem: string | null };
const said = (who: string, o: Outcome) => (o.outcome === "ok" ? `${who}: agreed.` : `${who}: ${o.outcome}${o.problem ? ` — ${o.problem}` : ""}`);

/** Runs every witness now (both parties', and the authority's of each AA's log) and reloads the heads and witnesses shown above. */
export function WitnessNow() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ tone: "success" | "error"; lines: string[] } | null>(null);
  return (
    <div className="space-y-3">
      <Button
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          const r = await reach(witnessNowAction)({});
          setBusy(false);
          if (!r.ok) return setResult({ tone: "error", lines: [r.error.message] });
          const ok = r.data.authority.outcome === "ok" && r.data.csp.outcome === "ok" && r.data.aas.every((a) => a.outcome === "ok");
          setResult({
            tone: ok ? "success" : "error",
            lines: [
              said("The authority, witnessing the CSP's log", r.data.authority),
              said("The CSP, witnessing the authority's log", r.data.csp),
              ...r.data.aas.map((a) => said(`The authority, witnessing the attribute authority ${a.name}'s log`, a)),
            ],
          });
          router.refresh();
        }}
      >
        {busy ? "Witnessing…" : "Witness now"}
      </Button>
      <div aria-live="polite" data-testid="witness-result">
        {result && (
          <Alert tone={result.tone} title={result.tone === "success" ? "Both witnesses agree" : "A witness did not agree"}>
            {result.lines.map((l) => (
              <p key={l}>{l}</p>
            ))}
          </Alert>
        )}
      </div>
    </div>
  );
}
