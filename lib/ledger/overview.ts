import "server-only";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { cspCall, cspUrl } from "@/lib/parties/csp-client";
import { logPublicKey, signedHead } from "./log-keys";
import { signedTreeHeadSchema, treeHeadSignatureValid, type SignedTreeHead } from "./sth";
import { httpLogSource, witnessState, type WitnessState } from "./witness";
import { aaLogKey, aaWitnessStates } from "@/lib/aa/witness";
import { aaServices } from "@/lib/aa/client";

/** What /admin/audit shows of both logs: each one's signed head and who witnesses it, with their last agreement. */
export type HeadView = { head: SignedTreeHead | null; signatureOk: boolean; error: string | null };
export type WitnessView = { state: WitnessState | null; error: string | null };
/** An attribute authority's log: its head, checked under the key the portal witnesses it with, and the portal's witness state. */
export type AaLogView = { name: string; head: HeadView; witness: WitnessView };
export type LogOverview = {
  authority: HeadView;
  csp: HeadView;
  cspWitnessOfAuthority: WitnessView;
  authorityWitnessOfCsp: WitnessView;
  aas: AaLogView[];
};

const message = (error: unknown) => (error instanceof AppError ? error.message : "unreachable");

async function headView(load: () => Promise<unknown>, key: string | null, unreachable: (error: unknown) => string): Promise<HeadView> {
  try {
    const parsed = signedTreeHeadSchema.safeParse(await load());
    if (!parsed.success) return { head: null, signatureOk: false, error: "The head is malformed." };
    return { head: parsed.data, signatureOk: key !== null && treeHeadSignatureValid(parsed.data, key), error: null };
  } catch (error) {
    return { head: null, signatureOk: false, error: unreachable(error) };
  }
}

/**
 * Each configured AA's log: the head it serves now, its signature checked under the key the
 * portal witnesses it with (configured, else pinned at the first head accepted; none yet: not
 * valid), beside what the portal's witness kept.
 */
async function aaLogs(): Promise<AaLogView[]> {
  const states = await aaWitnessStates(db());
  return Promise.all(
    [...aaServices()].map(async ([name, url]) => {
      const state = states.get(name) ?? null;
      const head = await headView(
        () => httpLogSource(url, "/api/aa/log").head(),
        aaLogKey(name, state),
        () => `The attribute authority ${name}'s log could not be reached.`,
      );
      return { name, head, witness: { state, error: null } };
    }),
  );
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
  const [authority, csp, cspWitnessOfAuthority, authorityWitnessOfCsp, aas] = await Promise.all([
    headView(() => signedHead(db(), "authority"), logPublicKey("authority"), message),
    headView(
      () => httpLogSource(cspUrl()).head(),
      logPublicKey("csp"),
      () => "The CSP's log could not be reached.",
    ),
    cspWitness(),
    witnessState(db(), "authority").then((state) => ({ state, error: null })),
    aaLogs(),
  ]);
  return { authority, csp, cspWitnessOfAuthority, authorityWitnessOfCsp, aas };
}

/** Witness alerts for the /admin banner: any witness that saw a fork, a rollback or a refused head (the CSP's, the authority's, each AA's log). */
export async function logAlerts(): Promise<Array<{ log: string; status: string; problem: string; checkedAt: string }>> {
  const [mine, theirs, aas] = await Promise.all([witnessState(db(), "authority"), cspWitness(), aaWitnessStates(db())]);
  return [mine, theirs.state, ...aas.values()]
    .filter((s): s is WitnessState => Boolean(s && s.status !== "ok"))
    .map((s) => ({ log: s.log, status: s.status, problem: s.problem ?? "", checkedAt: s.checkedAt }));
}
