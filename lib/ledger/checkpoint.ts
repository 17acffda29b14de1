import { ed25519 } from "@noble/curves/ed25519.js";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { dataDir } from "@/lib/config/data-dir";
import { settings } from "@/lib/config/env";
import { db as defaultDb, type Db } from "@/lib/db/client";
import { errorSummary } from "@/lib/errors";
import { entryHash } from "./canonical";

/**
 * Signed checkpoints of the ledger's head, kept OUTSIDE the database: a database superuser can
 * switch the append-only trigger off and re-hash the chain, but cannot re-sign the heads that
 * were checkpointed before (the Ed25519 key is not in the database) nor un-write the file.
 * One JSON object per line, appended only: {v, entries, head, at, sig}.
 */
const checkpointSchema = z.object({
  v: z.literal(1),
  entries: z.number().int().nonnegative(),
  head: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.iso.datetime(),
  sig: z.string().regex(/^[0-9a-f]{128}$/),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;
export type CheckpointLine = { line: number; checkpoint: Checkpoint; valid: true } | { line: number; valid: false };

const DOMAIN = "medshare-ledger-checkpoint/v1";
const message = (c: Pick<Checkpoint, "entries" | "head" | "at">) => new TextEncoder().encode(`${DOMAIN}\n${c.entries}\n${c.head}\n${c.at}`);

/** MEDSHARE_LEDGER_SIGNING_KEY: 32 bytes, hex (npm start generates it into .data/secrets.json). */
function signingKey(): Uint8Array | null {
  const hex = settings().MEDSHARE_LEDGER_SIGNING_KEY;
  if (!hex) return null;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error("MEDSHARE_LEDGER_SIGNING_KEY must be 32 bytes, hex");
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

export const checkpointsConfigured = () => signingKey() !== null;

/** Where checkpoints are kept: MEDSHARE_LEDGER_DIR, or the data folder's `ledger/`. */
export function checkpointFile(): string {
  return path.join(settings().MEDSHARE_LEDGER_DIR ?? path.join(dataDir(), "ledger"), "checkpoints.jsonl");
}

export function signCheckpoint(entries: number, head: string, at = new Date()): Checkpoint {
  const key = signingKey();
  if (!key) throw new Error("MEDSHARE_LEDGER_SIGNING_KEY is not set");
  const body = { entries, head, at: at.toISOString() };
  return { v: 1, ...body, sig: Buffer.from(ed25519.sign(message(body), key)).toString("hex") };
}

function signatureValid(c: Checkpoint, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(Uint8Array.from(Buffer.from(c.sig, "hex")), message(c), publicKey);
  } catch {
    return false;
  }
}

/** Every line of the file, each checked against this installation's public key. */
export function readCheckpoints(): CheckpointLine[] {
  const key = signingKey();
  const file = checkpointFile();
  if (!key || !existsSync(file)) return [];
  const publicKey = ed25519.getPublicKey(key);
  return readFileSync(file, "utf8")
    .split("\n")
    .map((text, i) => ({ text, line: i + 1 }))
    .filter(({ text }) => text.trim() !== "")
    .map(({ text, line }): CheckpointLine => {
      let parsed: ReturnType<typeof checkpointSchema.safeParse>;
      try {
        parsed = checkpointSchema.safeParse(JSON.parse(text));
      } catch {
        return { line, valid: false };
      }
      return parsed.success && signatureValid(parsed.data, publicKey) ? { line, checkpoint: parsed.data, valid: true } : { line, valid: false };
    });
}

/** The validly signed checkpoint covering the most entries (the newest of those on a tie). */
export function latestCheckpoint(lines = readCheckpoints()): Checkpoint | null {
  let best: Checkpoint | null = null;
  for (const l of lines)
    if (l.valid && (!best || l.checkpoint.entries > best.entries || (l.checkpoint.entries === best.entries && l.checkpoint.at > best.at))) best = l.checkpoint;
  return best;
}

/**
 * Whether the chain still extends `from`: entry #from.entries has the signed hash and every
 * entry after it links and hashes correctly. Only the entries since `from` are read.
 */
async function extendsCheckpoint(db: Db, from: Checkpoint): Promise<boolean> {
  if (from.entries > 0) {
    const at = await db.auditEntry.findUnique({ where: { seq: BigInt(from.entries) }, select: { hash: true } });
    if (at?.hash !== from.head) return false;
  }
  let prevHash = from.head;
  let expected = BigInt(from.entries) + 1n;
  const after = await db.auditEntry.findMany({ where: { seq: { gt: BigInt(from.entries) } }, orderBy: { seq: "asc" } });
  for (const e of after) {
    if (e.seq !== expected || e.prevHash !== prevHash || entryHash(prevHash, e) !== e.hash) return false;
    prevHash = e.hash;
    expected += 1n;
  }
  return true;
}

/**
 * Signs and appends the current head, unless nothing changed since the latest checkpoint or the
 * chain no longer extends it (then signing would bless a rewrite: verification reports it).
 */
export async function checkpointNow(db: Db = defaultDb()): Promise<Checkpoint | null> {
  if (!checkpointsConfigured()) return null;
  const latest = latestCheckpoint();
  const head = await db.auditEntry.findFirst({ orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
  if (!head) return latest;
  if (latest && BigInt(latest.entries) === head.seq && latest.head === head.hash) return latest;
  if (latest && !(await extendsCheckpoint(db, latest))) return null;
  const checkpoint = signCheckpoint(Number(head.seq), head.hash);
  const file = checkpointFile();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // One short line per write with O_APPEND: the server and the worker may both append.
  appendFileSync(file, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  return checkpoint;
}

const CHECKPOINT_DELAY_MS = 2_000;
const state = globalThis as unknown as {
  medshareCheckpointTimer?: NodeJS.Timeout | null;
  medshareCheckpointFailed?: boolean;
  medshareCheckpointRunning?: Promise<void> | null;
};

/**
 * Called after each append: checkpoints at most every couple of seconds, after the appending
 * transaction has committed (the head is read back from the database then).
 */
export function scheduleCheckpoint() {
  if (state.medshareCheckpointTimer || !settings().MEDSHARE_LEDGER_SIGNING_KEY) return;
  state.medshareCheckpointTimer = setTimeout(() => void runCheckpoint(), CHECKPOINT_DELAY_MS);
  state.medshareCheckpointTimer.unref?.();
}

function runCheckpoint(): Promise<void> {
  state.medshareCheckpointTimer = null;
  const running = checkpointNow()
    .then(() => void (state.medshareCheckpointFailed = false))
    .catch((error: Error) => {
      // Once per failure streak, and only the error's kind, code and place: no entry content in logs.
      if (!state.medshareCheckpointFailed) console.error(`[ledger] could not write a checkpoint (${errorSummary(error)})`);
      state.medshareCheckpointFailed = true;
    })
    .finally(() => {
      if (state.medshareCheckpointRunning === running) state.medshareCheckpointRunning = null;
    });
  state.medshareCheckpointRunning = running;
  return running;
}

/**
 * Before a short-lived process (a script) closes its database: writes the checkpoint that is
 * waiting for its timer now, or waits for the one being written (it used to run into the closed
 * connection: "could not write a checkpoint (P2039)").
 */
export async function flushCheckpoint(): Promise<void> {
  if (state.medshareCheckpointTimer) {
    clearTimeout(state.medshareCheckpointTimer);
    await runCheckpoint();
  } else await state.medshareCheckpointRunning;
}
