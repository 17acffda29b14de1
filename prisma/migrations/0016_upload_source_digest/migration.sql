-- Issue #17 item 4: the uploading browser's digest of the source file, salted with the
-- organisation id (lib/uploads/source-digest.ts), so the hospital is warned before it stores the
-- same file twice. Only equal files of one organisation have equal digests; no value is readable.
ALTER TABLE "csp"."uploads" ADD COLUMN "source_digest" TEXT;
CREATE INDEX "uploads_organisation_id_source_digest_idx" ON "csp"."uploads"("organisation_id", "source_digest");
