"use client";

import { useCallback, useEffect, useState } from "react";
import { keepHead, keptHead } from "@/lib/browser/kept-log-head";
import { checkUploadInLog, type UploadLogProof } from "@/lib/ledger/check-upload";

/** Fetches an upload's log proof and checks it in this page: signature, inclusion, content, consistency with the kept head. */
export async function fetchAndCheck(uploadId: string, expected: { digest?: string; recordsRoot?: string }) {
  const kept = keptHead();
  const res = await fetch(`/api/uploads/${uploadId}/log-proof${kept ? `?since=${kept.size}` : ""}`, { cache: "no-store" });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    return { ok: false as const, reason: body?.error?.message ?? `the proof could not be fetched (${res.status})` };
  }
  const proof = (await res.json()) as UploadLogProof & { publicKey: string };
  const result = checkUploadInLog(proof, proof.publicKey, { uploadId, ...expected }, kept);
  if (result.ok) keepHead(result.head);
  return result;
}

/** "In the CSP's log": the upload's inclusion proof, verified in this browser. */
export function LogCheck({ uploadId, digest, recordsRoot, label }: { uploadId: string; digest: string; recordsRoot: string; label: string }) {
  const [state, setState] = useState<{ kind: "checking" } | { kind: "ok"; index: number; size: number } | { kind: "failed"; reason: string }>({
    kind: "checking",
  });
  const check = useCallback(
    () =>
      fetchAndCheck(uploadId, { digest, recordsRoot }).then(
        (r) => setState(r.ok ? { kind: "ok", index: r.index + 1, size: r.head.size } : { kind: "failed", reason: r.reason }),
        () => setState({ kind: "failed", reason: "the check could not run (network?)" }),
      ),
    [uploadId, digest, recordsRoot],
  );
  useEffect(() => {
    void check();
  }, [check]);
  const run = () => {
    setState({ kind: "checking" });
    void check();
  };
  return (
    <span className="block" data-testid={`log-check-${label}`} aria-live="polite">
      {state.kind === "checking" && <span className="text-slate-500">Checking the CSP&apos;s log…</span>}
      {state.kind === "ok" && (
        <span className="text-emerald-700" title="Inclusion proof and the CSP's signed log head verified in this browser">
          ✓ In the CSP&apos;s log (entry #{state.index} of {state.size}, verified here)
        </span>
      )}
      {state.kind === "failed" && (
        <span className="text-red-700" role="alert">
          ✗ Not verified in the CSP&apos;s log: {state.reason}.{" "}
          <button type="button" className="underline" onClick={run}>
            Check again
          </button>
        </span>
      )}
    </span>
  );
}
