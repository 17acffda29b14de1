import type { Db } from "@/lib/db/client";
import { entryHash, GENESIS_HASH } from "./canonical";

export type ChainReport =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; brokenAt: string; reason: string };

/**
 * Re-computes the whole hash chain in seq order and reports the first broken link: an edited
 * entry (its hash no longer matches its content), a removed one (gap in seq) or a re-linked one.
 */
export async function verifyChain(db: Db, batchSize = 1000): Promise<ChainReport> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1n;
  let count = 0;
  for (;;) {
    const batch = await db.auditEntry.findMany({
      where: { seq: { gte: expectedSeq } },
      orderBy: { seq: "asc" },
      take: batchSize,
    });
    if (batch.length === 0) return { ok: true, entries: count, head: prevHash };
    for (const e of batch) {
      const seq = e.seq.toString();
      if (e.seq !== expectedSeq) return { ok: false, entries: count, brokenAt: seq, reason: `entry ${expectedSeq} is missing` };
      if (e.prevHash !== prevHash)
        return { ok: false, entries: count, brokenAt: seq, reason: `entry ${seq} does not link to entry ${expectedSeq - 1n}` };
      const recomputed = entryHash(prevHash, e);
      if (recomputed !== e.hash)
        return { ok: false, entries: count, brokenAt: seq, reason: `entry ${seq} was altered: its content no longer matches its hash` };
      prevHash = e.hash;
      expectedSeq += 1n;
      count += 1;
    }
  }
}
