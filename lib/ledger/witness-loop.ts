import "server-only";
import { settings } from "@/lib/config/env";
import { errorSummary } from "@/lib/errors";
import { db } from "@/lib/db/client";
import { serviceRole } from "@/lib/parties/role";
import { aaServices } from "@/lib/aa/client";
import { witnessAas } from "@/lib/aa/witness";
import { httpLogSource, witnessOnce, type WitnessResult } from "./witness";

/** Where this party reads the other's log: the authority the CSP's (MEDSHARE_CSP_URL), the CSP the authority's (MEDSHARE_AUTHORITY_URL). */
function otherPartyUrl(): string | null {
  const { MEDSHARE_CSP_URL, MEDSHARE_AUTHORITY_URL } = settings();
  const url = serviceRole() === "authority" ? MEDSHARE_CSP_URL : MEDSHARE_AUTHORITY_URL;
  return url ? url.replace(/\/$/, "") : null;
}

/** This party witnesses the other's log once, now. */
export async function witnessNow(): Promise<WitnessResult> {
  const url = otherPartyUrl();
  if (!url) return { state: null, outcome: "unconfigured", problem: "The other party's address is not configured." };
  return witnessOnce(db(), serviceRole(), httpLogSource(url));
}

/** The authority witnesses each configured attribute authority's log too (lib/aa/witness.ts). */
export async function witnessAasNow() {
  return serviceRole() === "authority" ? witnessAas(db()) : [];
}

const state = globalThis as unknown as { medshareWitnessTimer?: NodeJS.Timeout };

/**
 * Starts the periodic witness (instrumentation.ts): every MEDSHARE_WITNESS_INTERVAL_S seconds
 * (default 300; 0 turns it off), the first shortly after start. Failures are counted by the
 * witness itself; only the kind of failure reaches the server log.
 */
export function startWitness() {
  const seconds = settings().MEDSHARE_WITNESS_INTERVAL_S;
  const aas = serviceRole() === "authority" && aaServices().size > 0;
  if (state.medshareWitnessTimer || seconds === null || (!otherPartyUrl() && !aas)) return;
  const failed = (error: Error) => console.error(`[ledger] witness run failed (${errorSummary(error)})`);
  const run = async () => {
    if (otherPartyUrl()) await witnessNow().catch(failed);
    if (aas) await witnessAasNow().catch(failed);
  };
  setTimeout(run, Math.min(seconds, 15) * 1000).unref?.();
  state.medshareWitnessTimer = setInterval(run, seconds * 1000);
  state.medshareWitnessTimer.unref?.();
}
