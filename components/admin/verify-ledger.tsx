"use client";

import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { verifyLedgerAction } from "@/lib/actions/ledger/verify";
import type { LedgerProblem, LedgerReport } from "@/lib/ledger/verify";
import { reach } from "@/lib/actions/reach";

const problemTitle: Record<LedgerProblem, (at: string) => string> = {
  chain: (at) => `Broken at entry ${at}`,
  tampered: (at) => `Tampered at entry #${at}`,
  rollback: (at) => `Rollback: entries deleted after #${at}`,
  forged: (at) => `Forged checkpoint (${at})`,
};

export function VerifyLedger() {
  const [report, setReport] = useState<LedgerReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="space-y-3">
      <Button
        onClick={async () => {
          setBusy(true);
          setError(null);
          const result = await reach(verifyLedgerAction)({});
          setBusy(false);
          if (result.ok) setReport(result.data);
          else setError(result.error.message);
        }}
        disabled={busy}
      >
        {busy ? "Verifying…" : "Verify the chain"}
      </Button>
      <div aria-live="polite" data-testid="ledger-report">
        {error && <Alert tone="error">{error}</Alert>}
        {report?.ok && (
          <Alert tone="success" title="Chain intact">
            All {report.entries} entries link up and match every signed checkpoint. Head: <code className="break-all">{report.head}</code>
          </Alert>
        )}
        {report && !report.ok && (
          <Alert tone="error" title={problemTitle[report.problem](report.brokenAt)}>
            {report.reason}. Entries that verified: {report.entries}.
          </Alert>
        )}
      </div>
    </div>
  );
}
