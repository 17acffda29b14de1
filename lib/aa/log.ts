import type pg from "pg";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { entryHash, GENESIS_HASH, type JsonValue } from "@/lib/ledger/canonical";
import { signTreeHead, type SignedTreeHead } from "@/lib/ledger/sth";
import { appendLeaf, consistency, logSize, pgQuery, treeRoot, type LogTables } from "@/lib/ledger/tree";
import type { PartyTokenClaims } from "@/lib/parties/token";

/**
 * An attribute authority's own transparency log (DESIGN.md invariant 4): every state change of
 * the AA appends one entry in the transaction that makes it, chained and stored as an RFC 9162
 * tree exactly like the portal's and the CSP's logs (lib/ledger: the same entry hash, leaf and
 * tree code, over `pg` here). Heads are signed with the AA's own log key and witnessed by the
 * portal (lib/aa/witness.ts). Entries name what the AA already holds — attributes, versions, a
 * person's gid, the token's nonce — never a secret, never a wrapped key.
 */
export const AA_LOG_TABLES: LogTables = { name: "attribute authority", entries: "aa.log_entries", nodes: "aa.log_nodes" };
/** The log's name in its signed heads: `aa:HA1`. */
export const aaLogName = (service: string) => `aa:${service}`;

export type AaLogAction = "NAMESPACE_ADDED" | "ATTRIBUTE_SET_UP" | "ATTRIBUTE_ROTATED" | "KEY_ISSUED" | "VERSION_IMPORTED";
export type AaLogInput = {
  action: AaLogAction;
  subjectType: "namespace" | "attribute";
  subjectId: string;
  data?: { [key: string]: JsonValue };
};

const AA_LOG_LOCK = 727279;

/** SHA-256 of public bytes (a verification key, a browser's wrapping key), hex: what the log names them by. */
export const digestOf = (b64: string) => bytesToHex(sha256(Buffer.from(b64, "base64")));

/**
 * Appends the entry of one call inside its transaction (`client` holds it open): the entry exists
 * if and only if the change committed. The call's token (operation, nonce, the person it names)
 * is recorded with it. Appends are serialised by a transaction-scoped advisory lock.
 */
export async function appendAaLog(client: pg.ClientBase, claims: PartyTokenClaims, input: AaLogInput) {
  await client.query("SELECT pg_advisory_xact_lock($1)", [AA_LOG_LOCK]);
  const last = await client.query<{ seq: string; hash: string }>("SELECT seq, hash FROM aa.log_entries ORDER BY seq DESC LIMIT 1");
  const fields = {
    seq: BigInt(last.rows[0]?.seq ?? 0) + 1n,
    at: new Date(),
    actorId: claims.sub ?? null,
    action: input.action,
    subjectType: input.subjectType,
    subjectId: input.subjectId,
    data: { ...input.data, op: claims.op, nonce: claims.nonce },
  };
  const prevHash = last.rows[0]?.hash ?? GENESIS_HASH;
  const hash = entryHash(prevHash, fields);
  await client.query(
    "INSERT INTO aa.log_entries (seq, at, actor_id, action, subject_type, subject_id, data, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    [fields.seq, fields.at, fields.actorId, fields.action, fields.subjectType, fields.subjectId, JSON.stringify(fields.data), prevHash, hash],
  );
  await appendLeaf(pgQuery(client), AA_LOG_TABLES, fields.seq, hash);
}

/** The log's current head, signed now with the AA's log key. */
export async function aaSignedHead(q: pg.Pool | pg.ClientBase, service: string, logKey: Uint8Array): Promise<SignedTreeHead> {
  const raw = pgQuery(q);
  const size = await logSize(raw, AA_LOG_TABLES);
  const root = await treeRoot(raw, AA_LOG_TABLES, size);
  return signTreeHead({ log: aaLogName(service), size, root, timestamp: new Date().toISOString() }, logKey);
}

export const aaLogSize = (q: pg.Pool | pg.ClientBase) => logSize(pgQuery(q), AA_LOG_TABLES);
export const aaConsistency = (q: pg.Pool | pg.ClientBase, first: number, second: number) => consistency(pgQuery(q), AA_LOG_TABLES, first, second);
