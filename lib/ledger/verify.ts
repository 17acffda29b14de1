import { db as defaultDb, type Db } from "@/lib/db/client";
import { entryHash, GENESIS_HASH } from "./canonical";
import { checkpointNow, latestCheckpoint, readCheckpoints, type Checkpoint } from "./checkpoint";

export type ChainReport = { ok: true; entries: number; head: string } | { ok: false; entries: number; brokenAt: string; reason: string };

/**
 * Re-computes the whole hash chain in seq order and reports the first broken link: an edited
 * entry (its hash no longer matches its content), a removed one (gap in seq) or a re-linked one.
 */
export async function verifyChain(db: Db, batchSize = 1000, log: "authority" | "csp" = "authority"): Promise<ChainReport> {
  // The CSP's own log has the same shape and chain (lib/ledger/append.ts appendCspAudit).
  const table = (log === "csp" ? db.cspAuditEntry : db.auditEntry) as unknown as Db["auditEntry"];
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1n;
  let count = 0;
  for (;;) {
    const batch = await table.findMany({
      where: { seq: { gte: expectedSeq } },
      orderBy: { seq: "asc" },
      take: batchSize,
    });
    if (batch.length === 0) return { ok: true, entries: count, head: prevHash };
    for (const e of batch) {
      const seq = e.seq.toString();
      if (e.seq !== expectedSeq) return { ok: false, entries: count, brokenAt: seq, reason: `entry ${expectedSeq} is missing` };
      if (e.prevHash !== prevHash) return { ok: false, entries: count, brokenAt: seq, reason: `entry ${seq} does not link to entry ${expectedSeq - 1n}` };
      const recomputed = entryHash(prevHash, e);
      if (recomputed !== e.hash)
        return { ok: false, entries: count, brokenAt: seq, reason: `entry ${seq} was altered: its content no longer matches its hash` };
      prevHash = e.hash;
      expectedSeq += 1n;
      count += 1;
    }
  }
}

export type LedgerProblem = "chain" | "tampered" | "rollback" | "forged";
export type LedgerReport =
  | { ok: true; entries: number; head: string; checkpoint: Checkpoint | null }
  | { ok: false; problem: LedgerProblem; entries: number; brokenAt: string; reason: string; checkpoint: Checkpoint | null };

/** Hashes of the entries the checkpoints name, in one query. */
async function hashesAt(db: Db, seqs: number[]): Promise<Map<number, string>> {
  const rows = await db.auditEntry.findMany({ where: { seq: { in: [...new Set(seqs)].map(BigInt) } }, select: { seq: true, hash: true } });
  return new Map(rows.map((r) => [Number(r.seq), r.hash]));
}

/**
 * The chain in the database checked against every signed checkpoint kept outside it: a forged
 * checkpoint line, fewer entries than a checkpoint counted (rollback), a broken chain, or an entry
 * whose hash no longer matches a signed head (a rewrite re-hashed by someone who could bypass the
 * trigger). When everything agrees, the current head is checkpointed.
 */
export async function verifyLedger(db: Db = defaultDb()): Promise<LedgerReport> {
  const lines = readCheckpoints();
  const checkpoint = latestCheckpoint(lines);
  const chain = await verifyChain(db);
  const fail = (problem: LedgerProblem, brokenAt: number | string, reason: string): LedgerReport => {
    // An alert for whoever watches the server log: numbers only, no entry content.
    console.error(`[ledger] ALERT ${problem} (${brokenAt})`);
    return { ok: false, problem, entries: chain.entries, brokenAt: String(brokenAt), reason, checkpoint };
  };
  const forged = lines.find((l) => !l.valid);
  if (forged)
    return fail("forged", `line ${forged.line}`, `checkpoint line ${forged.line} has no valid signature: someone wrote it without the ledger's signing key`);
  const valid = lines.flatMap((l) => (l.valid ? [l.checkpoint] : [])).sort((a, b) => a.entries - b.entries);
  const highest = valid.at(-1);
  const count = chain.ok ? chain.entries : Number((await db.auditEntry.findFirst({ orderBy: { seq: "desc" }, select: { seq: true } }))?.seq ?? 0n);
  if (highest && count < highest.entries)
    return fail("rollback", count, `entries deleted after #${count} (rollback): the checkpoint signed at ${highest.at} counted ${highest.entries} entries`);
  if (!chain.ok) return fail("chain", chain.brokenAt, chain.reason);
  const hashes = await hashesAt(
    db,
    valid.map((c) => c.entries).filter((n) => n > 0),
  );
  let lastGood = 0;
  for (const c of valid) {
    if (c.entries === 0) continue;
    if (hashes.get(c.entries) !== c.head)
      return fail(
        "tampered",
        c.entries,
        `tampered at entry #${c.entries}: an entry from #${lastGood + 1} to #${c.entries} was rewritten after the checkpoint signed at ${c.at}`,
      );
    lastGood = c.entries;
  }
  const now = await checkpointNow(db);
  return { ok: true, entries: chain.entries, head: chain.head, checkpoint: now ?? checkpoint };
}
