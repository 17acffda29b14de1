import "server-only";
import type { Db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { signedHead } from "./log-keys";
import type { UploadLogProof } from "./check-upload";
import { consistency, inclusionProof } from "./tree";

/**
 * The CSP's proof that an upload is in its log, for the organisation that uploaded it: the
 * UPLOAD_STORED entry (content and chain link, so the browser re-computes its hash), a freshly
 * signed head, the entry's inclusion path in that head's tree, and, given the size of a head the
 * browser saw before, the consistency proof from it.
 */
export async function uploadLogProof(q: Db, uploadId: string, organisationId: string, since?: number): Promise<UploadLogProof> {
  const entry = await q.cspAuditEntry.findFirst({ where: { action: "UPLOAD_STORED", subjectId: uploadId }, orderBy: { seq: "asc" } });
  const data = entry?.data as { organisationId?: string } | undefined;
  if (!entry || data?.organisationId !== organisationId) throw new AppError("NOT_FOUND", "This upload is not in the CSP's log (not stored, or not your organisation's).");
  const sth = await signedHead(q, "csp");
  const index = Number(entry.seq) - 1;
  const sinceSize = since !== undefined && since > 0 && since <= sth.size ? since : null;
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
    proof: await inclusionProof(q, "csp", index, sth.size),
    consistency: sinceSize === null ? null : { first: sinceSize, proof: await consistency(q, "csp", sinceSize, sth.size) },
  };
}
