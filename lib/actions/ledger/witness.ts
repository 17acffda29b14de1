"use server";

import { z } from "zod";
import { defineAction } from "@/lib/actions/safe-action";
import { AppError } from "@/lib/errors";
import { witnessAasNow, witnessNow } from "@/lib/ledger/witness-loop";
import { cspCall } from "@/lib/parties/csp-client";

/**
 * "Witness now" on /admin/audit: the authority checks the CSP's current head against the one it
 * kept, asks the CSP to check the authority's, and checks each attribute authority's log. Alerts
 * are audited by the witness that raised them.
 */
export const witnessNowAction = defineAction({ roles: ["AUTHORITY_ADMIN"] }, z.object({}), async () => {
  const mine = await witnessNow();
  let theirs: { outcome: string; problem: string | null };
  try {
    const r = await cspCall("log.witnessNow", {});
    theirs = { outcome: r.outcome, problem: r.problem };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    theirs = { outcome: "unreachable", problem: error.message };
  }
  const aas = (await witnessAasNow()).map((r) => ({ name: r.name, outcome: r.outcome, problem: r.problem }));
  return { authority: { outcome: mine.outcome, problem: mine.problem }, csp: theirs, aas };
});
