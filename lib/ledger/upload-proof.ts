import "server-only";
import type { Db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { signedHead } from "./log-keys";
import type { UploadLogProof } from "./check-upload";
import type { SignedTreeHead } from "./sth";
import { consistency, inclusionProof } from "./tree";

/** An upload's UPLOAD_STORED entry in the CSP's log (the first: a re-encryption stores a new upload). */
const storedEntry = (q: Db, uploadId: string) =>
  q.cspAuditEntry.findFirst({ where: { action: "UPLOAD_STORED", subjectId: uploadId }, orderBy: { seq: "asc" } });
type Entry = NonNullable<Awaited<ReturnType<typeof storedEntry>>>;

/** The consistency proof from a head of `since` entries the browser kept to `sth`, or null when there is none to give. */
async function consistencyFrom(q: Db, sth: SignedTreeHead, since?: number) {
  const sinceSize = since !== undefined && since > 0 && since <= sth.size ? since : null;
  return sinceSize === null ? null : { first: sinceSize, proof: await consistency(q, "csp", sinceSize, sth.size) };
}

async function proofOf(q: Db, entry: Entry, sth: SignedTreeHead, proofFromKept: UploadLogProof["consistency"]): Promise<UploadLogProof> {
  return {
    entry: {
      seq: Number(entry.seq),
      at: entry.at.toISOString(),
      actorId: entry.actorId,
      action: entry.action,
      subjectType: entry.subjectType,
      subjectId: entry.subjectId,
      data: entry.data as Record<string, unknown>,
      prevHash: entry.prevHash,
    },
    sth,
    proof: await inclusionProof(q, "csp", Number(entry.seq) - 1, sth.size),
    consistency: proofFromKept,
  };
}

/**
 * The CSP's proof that an upload is in its log, for the organisation that uploaded it: the
 * UPLOAD_STORED entry (content and chain link, so the browser re-computes its hash), a freshly
 * signed head, the entry's inclusion path in that head's tree, and, given the size of a head the
 * browser saw before, the consistency proof from it.
 */
export async function uploadLogProof(q: Db, uploadId: string, organisationId: string, since?: number): Promise<UploadLogProof> {
  const entry = await storedEntry(q, uploadId);
  const data = entry?.data as { organisationId?: string } | undefined;
  if (!entry || data?.organisationId !== organisationId)
    throw new AppError("NOT_FOUND", "This upload is not in the CSP's log (not stored, or not your organisation's).");
  const sth = await signedHead(q, "csp");
  return proofOf(q, entry, sth, await consistencyFrom(q, sth, since));
}

/**
 * The same proofs for the uploads a verified request releases, all against one signed head, for
 * the researcher's browser to check before it shows anything (components/research/decrypt.worker.ts).
 * An upload without an entry gets none, and the browser refuses it.
 */
export async function releasedUploadsLogProofs(q: Db, uploadIds: string[], since?: number): Promise<Map<string, UploadLogProof | null>> {
  const sth = await signedHead(q, "csp");
  const fromKept = await consistencyFrom(q, sth, since);
  const out = new Map<string, UploadLogProof | null>();
  for (const id of uploadIds) {
    const entry = await storedEntry(q, id);
    out.set(id, entry && Number(entry.seq) <= sth.size ? await proofOf(q, entry, sth, fromKept) : null);
  }
  return out;
}
