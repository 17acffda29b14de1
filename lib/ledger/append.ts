import type { Tx } from "@/lib/db/client";
import { entryHash, GENESIS_HASH, type JsonValue } from "./canonical";
import { scheduleCheckpoint } from "./checkpoint";
import { appendLeaf, type LogName } from "./tree";

/** Everything the ledger records. Adding an action here is how a new state change gets audited. */
export type AuditAction =
  | "REGISTRATION_SUBMITTED"
  | "REGISTRATION_DUPLICATE"
  | "REGISTRATION_APPROVED"
  | "REGISTRATION_REJECTED"
  | "REGISTRATION_RESUBMITTED"
  | "ADMIN_CREATED"
  | "LOGIN_SUCCEEDED"
  | "LOGIN_FAILED"
  | "ACCOUNT_LOCKED"
  | "USER_REVOKED"
  | "AUTHORITY_CREATED"
  | "ATTRIBUTE_CREATED"
  | "ATTRIBUTE_GRANTED"
  | "ATTRIBUTE_REVOKED"
  | "ATTRIBUTE_ROTATED"
  | "ATTRIBUTE_SECRET_MOVED"
  | "KEY_ISSUED"
  | "KEY_REVOKED"
  | "WRAP_KEY_SET"
  | "TRANSFORM_KEY_STORED"
  | "TRANSFORM_KEY_DESTROYED"
  | "UPLOAD_STORED"
  | "UPLOAD_REJECTED"
  | "UPLOAD_REPLACED"
  | "UPLOAD_STARTED"
  | "UPLOAD_DISCARDED"
  | "UPLOAD_EXPIRED"
  | "UPLOAD_NOTE_SET"
  | "UPLOAD_DELETED"
  | "POLICY_TEMPLATE_SAVED"
  | "POLICY_TEMPLATE_DELETED"
  | "REQUEST_CREATED"
  | "ABS_VERIFIED"
  | "ABS_REJECTED"
  | "ABS_LOCKED"
  | "PARTIAL_DECRYPTION"
  | "DECRYPTION_VERIFICATION_FAILED"
  | "CKKS_KEYS_CREATED"
  | "UPLOAD_FEATURES_STORED"
  | "CLUSTERING_RUN_STARTED"
  | "CLUSTERING_RUN_REFUSED"
  | "CLUSTERING_RUN_REQUEUED"
  | "CLUSTERING_RUN_COMPLETED"
  | "CLUSTERING_RUN_FAILED"
  | "CLUSTERING_RUN_CANCELLED"
  // the blind protocol's key holder answered a run's labels: its session is over, and the run cannot be begun again
  | "CLUSTERING_KEY_HOLDER_FINISHED"
  | "LOG_HEAD_ACCEPTED"
  | "LOG_FORK_DETECTED"
  | "LOG_ROLLBACK_DETECTED"
  | "LOG_HEAD_REJECTED"
  | "CIPHERTEXTS_RELEASED"
  | "REQUEST_OUTCOME"
  | "GRANT_REFUSED"
  | "GRANT_WITHDRAWN"
  | "GRANT_EXPIRED"
  | "GRANT_RENEWAL_ASKED"
  // owner decisions (issue #15): first approval of two, approval, narrowed approval, second review, denial; org settings
  | "REQUEST_APPROVED_FIRST"
  | "REQUEST_APPROVED"
  | "REQUEST_NARROWED"
  | "REQUEST_REVIEWED"
  | "REQUEST_DENIED"
  | "ORG_SETTINGS_CHANGED"
  | "GRANT_RENEWED"
  | "CLUSTERING_RUN_DESCRIBED"
  | "CLUSTERING_RUN_DELETED";

export type AuditInput = {
  actorId: string | null;
  action: AuditAction;
  subjectType: string;
  subjectId?: string | null;
  data?: { [key: string]: JsonValue };
};

const LEDGER_LOCK = 727275;
const CSP_LEDGER_LOCK = 727277;

/**
 * Appends one entry inside the caller's transaction, so the entry exists if and only if the
 * change it records committed. Appends are serialised with a transaction-scoped advisory lock,
 * which keeps `seq` gap-free and each entry chained to the one before. This is the authority's
 * log (`ledger`); the CSP writes its own with `appendCspAudit`.
 */
export async function appendAudit(tx: Tx, input: AuditInput) {
  const entry = await append(tx, tx.auditEntry as unknown as LogTable, LEDGER_LOCK, "authority", input);
  // A signed checkpoint outside the database soon covers this entry (lib/ledger/checkpoint.ts).
  scheduleCheckpoint();
  return entry;
}

/**
 * Entries of a transaction whose steps call another party (an AA issuing keys, say), gathered
 * while it runs and appended together at its end with `appendBatch`. The first append takes the
 * log's lock until commit: appending as it goes would hold that lock across every call after it,
 * and every other audited change in the portal (sign-ins, decisions) would wait, each holding a
 * database connection, until the pool ran dry.
 */
export type AuditBatch = AuditInput[];

/** Appends a batch's entries in the order they were gathered, inside the caller's transaction. */
export async function appendBatch(tx: Tx, batch: AuditBatch) {
  for (const input of batch) await appendAudit(tx, input);
}

/** The CSP's own log (`csp_ledger`): same chain, in the CSP's database, written by the CSP only. */
export function appendCspAudit(tx: Tx, input: AuditInput) {
  return append(tx, tx.cspAuditEntry as unknown as LogTable, CSP_LEDGER_LOCK, "csp", input);
}

type LogRow = { seq: bigint; hash: string };
type LogTable = {
  findFirst(args: { orderBy: { seq: "desc" }; select: { seq: true; hash: true } }): Promise<LogRow | null>;
  create(args: { data: Record<string, unknown> }): Promise<LogRow>;
};

async function append(tx: Tx, table: LogTable, lock: number, log: LogName, input: AuditInput) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${lock})`;
  const last = await table.findFirst({ orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
  const fields = {
    seq: (last?.seq ?? 0n) + 1n,
    at: new Date(),
    actorId: input.actorId,
    action: input.action,
    subjectType: input.subjectType,
    subjectId: input.subjectId ?? null,
    data: input.data ?? {},
  };
  const prevHash = last?.hash ?? GENESIS_HASH;
  const entry = await table.create({ data: { ...fields, prevHash, hash: entryHash(prevHash, fields) } });
  // The entry is also the next leaf of the party's Merkle tree (lib/ledger/tree.ts), same transaction.
  await appendLeaf(tx, log, entry.seq, entry.hash);
  return entry;
}
