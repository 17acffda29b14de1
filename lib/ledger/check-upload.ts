import { entryHash } from "./canonical";
import { fromHex, verifyConsistency, verifyInclusion } from "./merkle";
import { z } from "@/lib/validation/zod";
import { signedTreeHeadSchema, treeHeadSignatureValid, type SignedTreeHead } from "./sth";
import { entryLeafOf } from "./leaf";

/**
 * The browser's check that an upload is in the CSP's transparency log (issue #16), isomorphic:
 * the head's signature under the CSP's log key, the entry's hash re-computed from its content,
 * its inclusion path up to the signed root, the entry saying what the caller expects (this
 * upload, this envelope digest and records root), and, when the browser kept an earlier head,
 * that the new one extends it. Any failure is a reason, never data.
 */
const hash = z.string().regex(/^[0-9a-f]{64}$/);
export const uploadLogProofSchema = z.object({
  entry: z.object({
    seq: z.number().int().positive(),
    at: z.string(),
    actorId: z.string().nullable(),
    action: z.string(),
    subjectType: z.string(),
    subjectId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
  }),
  sth: signedTreeHeadSchema,
  proof: z.array(hash).max(64),
  consistency: z.object({ first: z.number().int().positive(), proof: z.array(hash).max(128) }).nullable(),
});
export type UploadLogProof = z.infer<typeof uploadLogProofSchema>;
export type Expected = { uploadId: string; digest?: string; recordsRoot?: string };
export type KeptHead = { size: number; root: string };
export type LogCheck = { ok: true; head: SignedTreeHead; index: number } | { ok: false; reason: string };

export function checkUploadInLog(p: UploadLogProof, publicKey: string, expected: Expected, kept: KeptHead | null = null): LogCheck {
  const fail = (reason: string): LogCheck => ({ ok: false, reason });
  try {
    const sth = signedTreeHeadSchema.safeParse(p.sth);
    if (!sth.success || sth.data.log !== "csp") return fail("the CSP's log head is malformed");
    if (!treeHeadSignatureValid(sth.data, publicKey)) return fail("the CSP's log head is not signed by the CSP's log key");
    const e = p.entry;
    if (e.action !== "UPLOAD_STORED" || e.subjectId !== expected.uploadId || e.data.uploadId !== expected.uploadId)
      return fail("the log entry is not this upload's");
    if (expected.digest !== undefined && e.data.digest !== expected.digest) return fail("the log entry names another envelope digest");
    if (expected.recordsRoot !== undefined && e.data.recordsRoot !== expected.recordsRoot) return fail("the log entry names another records root");
    const hash = entryHash(e.prevHash, {
      seq: BigInt(e.seq),
      at: new Date(e.at),
      actorId: e.actorId,
      action: e.action,
      subjectType: e.subjectType,
      subjectId: e.subjectId,
      data: e.data,
    });
    const index = e.seq - 1;
    if (!verifyInclusion(entryLeafOf(hash), index, sth.data.size, p.proof.map(fromHex), fromHex(sth.data.root)))
      return fail("the inclusion proof does not lead to the CSP's signed log head");
    if (kept && kept.size > 0) {
      if (sth.data.size < kept.size) return fail(`the CSP's log shrank since this browser last saw it (${kept.size} → ${sth.data.size} entries): rollback`);
      const proof = p.consistency && p.consistency.first === kept.size ? p.consistency.proof : kept.size === sth.data.size ? [] : null;
      if (!proof || !verifyConsistency(kept.size, sth.data.size, proof.map(fromHex), fromHex(kept.root), fromHex(sth.data.root)))
        return fail("the CSP's log does not extend the head this browser saw before: fork");
    }
    return { ok: true, head: sth.data, index };
  } catch {
    return fail("the log proof is malformed");
  }
}
