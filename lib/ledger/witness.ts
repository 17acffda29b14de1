import "server-only";
import { z } from "zod";
import type { Db } from "@/lib/db/client";
import { appendAudit, appendCspAudit } from "./append";
import { logPublicKey, signedHead } from "./log-keys";
import { fromHex, verifyConsistency } from "./merkle";
import { signedTreeHeadSchema, treeHeadSignatureValid, type SignedTreeHead } from "./sth";
import { consistency, type LogName } from "./tree";

/**
 * Witnesses (issue #16): each party keeps the last signed head of the other party's log it
 * accepted, and accepts a new head only with a valid signature under the other party's log key
 * and a consistency proof from the head it kept. A smaller tree is a rollback, another root for
 * the same size or a proof that does not verify is a fork; either raises an alert, audited in the
 * witness's own log, shown on /admin. The kept head never moves to a head that failed a check.
 */
export type LogSource = {
  head(): Promise<unknown>;
  consistency(first: number, second: number): Promise<unknown>;
};
export type WitnessStatus = "ok" | "fork" | "rollback" | "rejected";
export type WitnessState = {
  /** The watched log: the other party's, or an attribute authority's (`aa:HA1`). */
  log: string;
  size: number;
  root: string;
  timestamp: string;
  checkedAt: string;
  agreedAt: string | null;
  status: WitnessStatus;
  problem: string | null;
  /** The log key pinned for an attribute authority's log (lib/aa/witness.ts); null otherwise. */
  publicKey: string | null;
};
export type WitnessResult = { state: WitnessState | null; outcome: WitnessStatus | "unreachable" | "unconfigured"; problem: string | null };

const other = (log: LogName): LogName => (log === "authority" ? "csp" : "authority");
/** How messages name a log: "csp", "authority", "attribute authority HA1". */
const label = (log: string) => (log.startsWith("aa:") ? `attribute authority ${log.slice(3)}` : log);
const ALERT = { fork: "LOG_FORK_DETECTED", rollback: "LOG_ROLLBACK_DETECTED", rejected: "LOG_HEAD_REJECTED" } as const;
const proofSchema = z.object({ proof: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(128) });

/** The other party did not answer (network, outage): nothing is concluded from silence. */
export class LogUnreachable extends Error {}

/** The other party's public log endpoints (its /.well-known/medshare/log/*; an AA's /api/aa/log/*), over HTTP. */
export function httpLogSource(baseUrl: string, logPath = "/.well-known/medshare/log"): LogSource {
  const get = async (path: string) => {
    let res: Response;
    try {
      res = await fetch(`${baseUrl.replace(/\/$/, "")}${logPath}/${path}`, { cache: "no-store", signal: AbortSignal.timeout(15_000) });
    } catch {
      throw new LogUnreachable("unreachable");
    }
    // 409/422: the log answered and cannot prove what was asked; anything else is an outage.
    if (!res.ok) throw res.status === 409 || res.status === 422 ? new Error(`log endpoint answered ${res.status}`) : new LogUnreachable(String(res.status));
    return res.json() as Promise<unknown>;
  };
  return { head: () => get("sth"), consistency: (first, second) => get(`consistency?first=${first}&second=${second}`) };
}

/** A log read straight from a database this process can read (tests; one-host tools). */
export function localLogSource(q: Db, log: LogName): LogSource {
  return { head: () => signedHead(q, log), consistency: async (first, second) => ({ proof: await consistency(q, log, first, second) }) };
}

type Row = {
  log: string;
  size: bigint;
  root: string;
  timestamp: Date;
  signature: string;
  checkedAt: Date;
  agreedAt: Date | null;
  status: string;
  problem: string | null;
  publicKey?: string | null;
};
const table = (q: Db, witness: LogName) => (witness === "authority" ? q.logWitness : q.cspLogWitness) as unknown as Db["logWitness"];
const toState = (r: Row): WitnessState => ({
  log: r.log,
  size: Number(r.size),
  root: r.root,
  timestamp: r.timestamp.toISOString(),
  checkedAt: r.checkedAt.toISOString(),
  agreedAt: r.agreedAt?.toISOString() ?? null,
  status: r.status as WitnessStatus,
  problem: r.problem,
  publicKey: r.publicKey ?? null,
});

/** What `witness` keeps of the other party's log, or of `watched` (an AA's log the authority witnesses). */
export async function witnessState(q: Db, witness: LogName, watched: string = other(witness)): Promise<WitnessState | null> {
  const row = await table(q, witness).findUnique({ where: { log: watched } });
  return row ? toState(row) : null;
}

/**
 * Checks the other party's current head once (see the module's comment); with `watched`, another
 * log this party witnesses (the authority an AA's, lib/aa/witness.ts), and with `pin`, the key of
 * the first head accepted is kept in the row (only the authority's table has the column).
 */
export async function witnessOnce(
  q: Db,
  witness: LogName,
  source: LogSource,
  publicKey = logPublicKey(other(witness)),
  opts: { watched?: string; pin?: boolean } = {},
): Promise<WitnessResult> {
  const watched = opts.watched ?? other(witness);
  const rows = table(q, witness);
  const previous = await rows.findUnique({ where: { log: watched } });
  if (!publicKey)
    return { state: previous ? toState(previous) : null, outcome: "unconfigured", problem: `No public key for the ${label(watched)}'s log is configured.` };
  let raw: unknown;
  try {
    raw = await source.head();
  } catch {
    return { state: previous ? toState(previous) : null, outcome: "unreachable", problem: `The ${label(watched)}'s log could not be reached.` };
  }
  const now = new Date();
  const parsed = signedTreeHeadSchema.safeParse(raw);
  const head = parsed.success ? parsed.data : null;
  let verdict: { status: WitnessStatus; problem: string | null };
  if (!head || head.log !== watched || !treeHeadSignatureValid(head, publicKey)) {
    verdict = {
      status: "rejected",
      problem: `A head of the ${label(watched)}'s log was refused: ${!head ? "malformed" : head.log !== watched ? `it names the ${label(head.log)}'s log` : "its signature does not verify under the " + label(watched) + "'s log key"}.`,
    };
  } else if (!previous) {
    verdict = { status: "ok", problem: null };
  } else {
    const compared = await compare(previous, head, source);
    if (!compared) return { state: toState(previous), outcome: "unreachable", problem: `The ${label(watched)}'s log could not be reached.` };
    verdict = compared;
  }
  const accepted = verdict.status === "ok" && head ? head : null;
  const wasAlert = previous && previous.status !== "ok";
  const saved = await q.$transaction(async (tx) => {
    const t = (witness === "authority" ? tx.logWitness : tx.cspLogWitness) as unknown as Db["logWitness"];
    const kept = accepted
      ? { size: BigInt(accepted.size), root: accepted.root, timestamp: new Date(accepted.timestamp), signature: accepted.signature }
      : previous
        ? { size: previous.size, root: previous.root, timestamp: previous.timestamp, signature: previous.signature }
        : { size: 0n, root: "", timestamp: now, signature: "" };
    const pinned = opts.pin ? { publicKey: accepted ? publicKey : (previous?.publicKey ?? null) } : {};
    const data = {
      ...kept,
      ...pinned,
      checkedAt: now,
      status: verdict.status,
      problem: verdict.problem,
      agreedAt: accepted ? now : (previous?.agreedAt ?? null),
    };
    const row = await t.upsert({ where: { log: watched }, create: { log: watched, ...data }, update: data });
    // One alert per incident: a new kind of problem, or the first after an agreement.
    if (verdict.status !== "ok" && (!wasAlert || previous?.status !== verdict.status)) {
      const entry = {
        actorId: null,
        action: ALERT[verdict.status],
        subjectType: "log",
        subjectId: watched,
        data: { keptSize: Number(kept.size), keptRoot: kept.root, seenSize: head?.size ?? null, seenRoot: head?.root ?? null, reason: verdict.problem ?? "" },
      };
      if (witness === "authority") await appendAudit(tx, entry);
      else await appendCspAudit(tx, entry);
    }
    return row;
  });
  if (verdict.status !== "ok") console.error(`[ledger] ALERT ${ALERT[verdict.status as Exclude<WitnessStatus, "ok">]} (${watched}'s log)`);
  return { state: toState(saved), outcome: verdict.status, problem: verdict.problem };
}

async function compare(previous: Row, head: SignedTreeHead, source: LogSource): Promise<{ status: WitnessStatus; problem: string | null } | null> {
  const kept = Number(previous.size);
  if (head.size < kept)
    return { status: "rollback", problem: `The ${label(head.log)}'s log shrank from ${kept} to ${head.size} entries (rollback): entries were deleted.` };
  if (head.size === kept)
    return head.root === previous.root
      ? { status: "ok", problem: null }
      : { status: "fork", problem: `The ${label(head.log)}'s log has another root for the same ${kept} entries (fork): its history was rewritten.` };
  if (kept === 0) return { status: "ok", problem: null };
  let proof: string[];
  try {
    const parsed = proofSchema.safeParse(await source.consistency(kept, head.size));
    if (!parsed.success)
      return { status: "fork", problem: `The ${label(head.log)}'s log gave no valid consistency proof from ${kept} to ${head.size} entries.` };
    proof = parsed.data.proof;
  } catch (error) {
    if (error instanceof LogUnreachable) return null;
    // The tree cannot prove it extends the kept head (e.g. its nodes were removed): same as a failed proof.
    return { status: "fork", problem: `The ${label(head.log)}'s log could not prove it extends the ${kept} entries seen before.` };
  }
  return verifyConsistency(kept, head.size, proof.map(fromHex), fromHex(previous.root), fromHex(head.root))
    ? { status: "ok", problem: null }
    : {
        status: "fork",
        problem: `The ${label(head.log)}'s log of ${head.size} entries does not extend the ${kept} entries seen before (fork): its history was rewritten.`,
      };
}
