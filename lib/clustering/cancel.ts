import "server-only";
import { cspCall } from "@/lib/parties/csp-client";

/** Cancels a queued run at once; a running one stops at its next iteration (status CANCELLED). */
export function cancelRun({ adminId, runId }: { adminId: string; runId: string }) {
  return cspCall("runs.cancel", { runId }, { sub: adminId });
}
