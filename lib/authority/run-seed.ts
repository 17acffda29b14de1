import "server-only";
import { randomBytes } from "node:crypto";
import { db, type Tx } from "@/lib/db/client";
import { seal, unseal } from "./seal";

/**
 * A clustering run's k-means++ seed (issue #11 item 13). With a public seed (it was 42) the CSP
 * knows the PRNG stream of the key holder's D^2 sampling, starting with the first center's
 * draw. So each run gets its own seed from the CSPRNG, sealed under the authority's KEK and
 * bound to the run id; only the key holder opens it, in the worker, to run the coordinator.
 * It never goes into the CSP's tables or the job payload, and the run stays reproducible:
 * the plaintext reference with this seed gives the run's labels.
 *
 * The seed is 32 bits because that is lib/hopcm's PRNG state (mulberry32); the CSP has no
 * plaintext to test guesses against, so the width is not what protects it — secrecy is.
 */
export const runSeedAad = (runId: string) => `medshare-run-seed:${runId}`;

/** A fresh seed from the operating system's CSPRNG. */
export function newRunSeed(): number {
  return randomBytes(4).readUInt32BE(0);
}

const bytesOf = (seed: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(seed >>> 0);
  return new Uint8Array(b);
};

/** Seals a new seed for the run, in the caller's transaction (the run's creation). */
export async function createRunSeed(tx: Tx, runId: string): Promise<void> {
  await tx.runSeed.create({ data: { runId, sealedSeed: seal(bytesOf(newRunSeed()), runSeedAad(runId)) } });
}

/** The run's seed, or null if none was sealed (a run made before seeds were secret). */
export async function openRunSeed(runId: string): Promise<number | null> {
  const row = await db().runSeed.findUnique({ where: { runId }, select: { sealedSeed: true } });
  if (!row) return null;
  return Buffer.from(unseal(row.sealedSeed, runSeedAad(runId))).readUInt32BE(0);
}

/**
 * The seed the worker runs with: the sealed one, or for a run that has none yet (queued before
 * the migration) a new one, sealed first so a restart of the run draws the same.
 */
export async function runSeedFor(runId: string): Promise<number> {
  const existing = await openRunSeed(runId);
  if (existing !== null) return existing;
  // Two workers at once: the second insert is skipped and both read the first one's seed.
  await db().runSeed.createMany({ data: [{ runId, sealedSeed: seal(bytesOf(newRunSeed()), runSeedAad(runId)) }], skipDuplicates: true });
  return (await openRunSeed(runId))!;
}
