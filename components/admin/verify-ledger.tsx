"use client";

import { useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { verifyLedgerAction } from "@/lib/actions/ledger/verify";
import type { ChainReport } from "@/lib/ledger/verify";

export function VerifyLedger() {
  const [report, setReport] = useState<ChainReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="space-y-3">
      <Button
        onClick={async () => {
          setBusy(true);
          setError(null);
          const result = await verifyLedgerAction({});
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
            All {report.entries} entries link up. Head: <code className="break-all">{report.head}</code>
          </Alert>
        )}
        {report && !report.ok && (
          <Alert tone="error" title={`Broken at entry ${report.brokenAt}`}>{report.reason}. Entries before it ({report.entries}) verified.</Alert>
        )}
      </div>
    </div>
  );
}
