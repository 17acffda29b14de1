import "server-only";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { cspCall, cspUrl } from "@/lib/parties/csp-client";
import { logPublicKey, signedHead } from "./log-keys";
import { signedTreeHeadSchema, treeHeadSignatureValid, type SignedTreeHead } from "./sth";
import { httpLogSource, witnessState, type WitnessState } from "./witness";
import { aaWitnessStates } from "@/lib/aa/witness";

/** What /admin/audit shows of both logs: each one's signed head and who witnesses it, with their last agreement. */
export type HeadView = { head: SignedTreeHead | null; signatureOk: boolean; error: string | null };
export type WitnessView = { state: WitnessState | null; error: string | null };
export type LogOverview = { authority: HeadView; csp: HeadView; cspWitnessOfAuthority: WitnessView; authorityWitnessOfCsp: WitnessView };

const message = (error: unknown) => (error instanceof AppError ? error.message : "unreachable");

async function headView(load: () => Promise<unknown>, log: "authority" | "csp"): Promise<HeadView> {
  try {
    const parsed = signedTreeHeadSchema.safeParse(await load());
    if (!parsed.success) return { head: null, signatureOk: false, error: "The head is malformed." };
    const key = logPublicKey(log);
    return { head: parsed.data, signatureOk: key !== null && treeHeadSignatureValid(parsed.data, key), error: null };
  } catch (error) {
    return { head: null, signatureOk: false, error: log === "csp" ? "The CSP's log could not be reached." : message(error) };
  }
}

async function cspWitness(): Promise<WitnessView> {
  try {
    return { state: (await cspCall("log.witnessState", {})) as WitnessState | null, error: null };
  } catch (error) {
    if (error instanceof AppError) return { state: null, error: error.message };
    throw error;
  }
}

export async function logOverview(): Promise<LogOverview> {
  const [authority, csp, cspWitnessOfAuthority, authorityWitnessOfCsp] = await Promise.all([
    headView(() => signedHead(db(), "authority"), "authority"),
    headView(() => httpLogSource(cspUrl()).head(), "csp"),
    cspWitness(),
    witnessState(db(), "authority").then((state) => ({ state, error: null })),
  ]);
  return { authority, csp, cspWitnessOfAuthority, authorityWitnessOfCsp };
}

/** Witness alerts for the /admin banner: any witness that saw a fork, a rollback or a refused head (the CSP's, the authority's, each AA's log). */
export async function logAlerts(): Promise<Array<{ log: string; status: string; problem: string; checkedAt: string }>> {
  const [mine, theirs, aas] = await Promise.all([witnessState(db(), "authority"), cspWitness(), aaWitnessStates(db())]);
  return [mine, theirs.state, ...aas.values()]
    .filter((s): s is WitnessState => Boolean(s && s.status !== "ok"))
    .map((s) => ({ log: s.log, status: s.status, problem: s.problem ?? "", checkedAt: s.checkedAt }));
}
