import { startUpload } from "@/lib/portal/uploads";
import { cspCall } from "@/lib/parties/csp-client";
import { allCurrentVersions } from "@/lib/authority/catalogue";
import { withUser } from "@/lib/http/route";
import { readJsonBody } from "@/lib/http/read-body";
import { BODY_LIMITS } from "@/lib/gateway/limits";
import { AppError } from "@/lib/errors";
import { sourceDigestSchema, startUploadSchema } from "@/lib/validation/upload";

/** Starts an upload: the CSP checks the envelope's integrity and the hospital's signature first. */
export const POST = withUser(["HOSPITAL_STAFF"], async (req, user) => {
  const parsed = startUploadSchema.safeParse(await readJsonBody(req, BODY_LIMITS.uploadStart));
  if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  const upload = await startUpload(user, parsed.data);
  return Response.json(upload, { status: 201 });
});

/**
 * The organisation's uploads, unfinished ones with their progress (expired ones are swept first).
 * `?digest=<hex>`: only those made from the same source file (lib/uploads/source-digest.ts).
 */
export const GET = withUser(["HOSPITAL_STAFF"], async (req, user) => {
  const digest = new URL(req.url).searchParams.get("digest");
  if (digest !== null) {
    const parsed = sourceDigestSchema.safeParse(digest);
    if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues[0].message);
    const same = await cspCall("uploads.byDigest", { sourceDigest: parsed.data }, { org: user.organisation.id });
    return Response.json({ uploads: same });
  }
  const uploads = await cspCall("uploads.list", { currentVersions: await allCurrentVersions() }, { org: user.organisation.id });
  return Response.json({
    uploads: uploads.map(({ id, label, status, recordCount, chunkCount, receivedChunks, totalBytes, receivedBytes, expiresAt }) => ({
      id,
      label,
      status,
      recordCount,
      chunkCount,
      receivedChunks,
      totalBytes,
      receivedBytes,
      expiresAt,
    })),
  });
});
