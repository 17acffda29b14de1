import { AppError } from "@/lib/errors";
import { entryLeafOf } from "./leaf";
import { consistencyProof, EMPTY_ROOT, inclusionPath, nodeHash, nodesClosedBy, nodesRead, rootHash, toHex, type NodeGetter } from "./merkle";

/**
 * Each party's log as an RFC 9162 Merkle tree stored in its own log schema (`ledger`,
 * `csp_ledger`, an attribute authority's `aa`): leaf i is entry seq i+1, leaf hash
 * SHA-256(0x00 || entry hash). The complete subtrees are inserted with the entry, in the
 * appending transaction, so a head or a proof reads O(log n) rows however long the log grows.
 */
export type LogName = "authority" | "csp";
/** Where a log keeps its entries and its tree (schema-qualified table names), and what it is called in messages. */
export type LogTables = { name: string; entries: string; nodes: string };
const TABLES: Record<LogName, LogTables> = {
  authority: { name: "authority", entries: "ledger.audit_entries", nodes: "ledger.log_nodes" },
  csp: { name: "csp", entries: "csp_ledger.audit_entries", nodes: "csp_ledger.log_nodes" },
};
/** A log of the portal's database by name, or any other log's tables (an attribute authority's, lib/aa/log.ts). */
export type LogRef = LogName | LogTables;
const tablesOf = (log: LogRef): LogTables => (typeof log === "string" ? TABLES[log] : log);

/** Runs a raw query with positional parameters: Prisma's client or transaction, or a `pg` client through `pgQuery`. */
export type RawQuery = { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> };
type Q = RawQuery;

/** The tiny adapter that lets a service on plain `pg` (an attribute authority) keep its tree with this module. */
export const pgQuery = (client: { query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> }): RawQuery => ({
  $queryRawUnsafe: async <T>(text: string, ...values: unknown[]) => (await client.query(text, values)).rows as T,
});

/** The leaf of an entry: its chain hash (hex, 32 bytes) under the RFC's leaf prefix. */
export const entryLeaf = entryLeafOf;

async function fetchNodes(q: Q, log: LogRef, keys: Array<{ level: number; index: number }>) {
  const map = new Map<string, Uint8Array>();
  if (keys.length === 0) return map;
  const rows = await q.$queryRawUnsafe<Array<{ level: number; index: bigint; hash: Uint8Array }>>(
    `SELECT n.level, n.index, n.hash FROM ${tablesOf(log).nodes} n
     JOIN unnest($1::smallint[], $2::bigint[]) AS k(level, index) ON k.level = n.level AND k.index = n.index`,
    keys.map((k) => k.level),
    keys.map((k) => BigInt(k.index)),
  );
  for (const r of rows) map.set(`${r.level}:${r.index}`, new Uint8Array(r.hash));
  return map;
}

/** Runs `produce` over the stored tree, with every node it needs read in one query. */
async function overTree<T>(q: Q, log: LogRef, produce: (get: NodeGetter) => T): Promise<T> {
  const nodes = await fetchNodes(q, log, nodesRead(produce));
  return produce((level, index) => {
    const h = nodes.get(`${level}:${index}`);
    // A node missing under entries that exist: someone removed rows the party never deletes.
    if (!h) throw new AppError("CONFLICT", `The ${tablesOf(log).name}'s log tree is incomplete (node ${level}/${index} is missing): it was tampered with.`);
    return h;
  });
}

/**
 * Called by the append (lib/ledger/append.ts) under its advisory lock: stores leaf `seq - 1` and
 * every subtree it completes. A leaf that already exists (entries deleted by someone who
 * bypassed the trigger, then appended over) makes the append fail: a log is never grown over a hole.
 */
export async function appendLeaf(tx: Q, log: LogRef, seq: bigint, entryHashHex: string) {
  const index = Number(seq - 1n);
  const closed = nodesClosedBy(index);
  // Left siblings of each completed subtree: (level, i*2) under the new node (level+1, i).
  const siblings = closed.slice(1).map(({ level, index: i }) => ({ level: level - 1, index: i * 2 }));
  const nodes = await fetchNodes(tx, log, siblings);
  let hash = entryLeaf(entryHashHex);
  const rows: Array<{ level: number; index: number; hash: Uint8Array }> = [{ level: 0, index, hash }];
  for (const { level, index: i } of closed.slice(1)) {
    const left = nodes.get(`${level - 1}:${i * 2}`);
    if (!left) throw new AppError("CONFLICT", `The ${tablesOf(log).name}'s log tree is incomplete: refusing to append.`);
    hash = nodeHash(left, hash);
    rows.push({ level, index: i, hash });
  }
  await tx.$queryRawUnsafe(
    `INSERT INTO ${tablesOf(log).nodes} (level, index, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`,
    rows.map((r) => r.level),
    rows.map((r) => BigInt(r.index)),
    rows.map((r) => Buffer.from(r.hash)),
  );
}

/** The log's size: its entries' count (seq is gap-free; a tail deletion makes it smaller). */
export async function logSize(q: Q, log: LogRef): Promise<number> {
  const [row] = await q.$queryRawUnsafe<Array<{ n: bigint | null }>>(`SELECT max(seq) AS n FROM ${tablesOf(log).entries}`);
  return Number(row?.n ?? 0n);
}

export async function treeRoot(q: Q, log: LogRef, size: number): Promise<string> {
  if (size === 0) return toHex(EMPTY_ROOT);
  return toHex(await overTree(q, log, (get) => rootHash(get, size)));
}

export async function inclusionProof(q: Q, log: LogRef, index: number, size: number): Promise<string[]> {
  return (await overTree(q, log, (get) => inclusionPath(get, index, size))).map(toHex);
}

export async function consistency(q: Q, log: LogRef, first: number, second: number): Promise<string[]> {
  if (first === 0 || first === second) return [];
  return (await overTree(q, log, (get) => consistencyProof(get, first, second))).map(toHex);
}

/** The stored leaves from `fromSeq` on, to compare with the entries (lib/ledger/verify.ts). */
export async function leavesFrom(q: Q, log: LogRef, fromIndex: number, take: number): Promise<Map<number, string>> {
  const rows = await q.$queryRawUnsafe<Array<{ index: bigint; hash: Uint8Array }>>(
    `SELECT index, hash FROM ${tablesOf(log).nodes} WHERE level = 0 AND index >= $1 ORDER BY index LIMIT $2`,
    BigInt(fromIndex),
    take,
  );
  return new Map(rows.map((r) => [Number(r.index), toHex(new Uint8Array(r.hash))]));
}
