-- Upload bounds (issue #11 item 8): bytes received so far (enforced against the signed
-- total_bytes at every chunk), an expiry for unfinished uploads, and the ids of every upload
-- ever started so a replayed start body cannot store a second dataset.
ALTER TABLE "csp"."uploads" ADD COLUMN "received_bytes" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "csp"."uploads" ADD COLUMN "expires_at" TIMESTAMPTZ(3);

-- The browser chooses the upload id and signs it; an id is accepted once, ever (even after the
-- upload was discarded or expired).
CREATE TABLE "csp"."upload_nonces" (
    "upload_id" UUID NOT NULL,
    "organisation_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "upload_nonces_pkey" PRIMARY KEY ("upload_id")
);

CREATE INDEX "uploads_status_expires_at_idx" ON "csp"."uploads"("status", "expires_at");

-- Ids of uploads made before this migration are taken too.
INSERT INTO "csp"."upload_nonces" ("upload_id", "organisation_id") SELECT "id", "organisation_id" FROM "csp"."uploads";

-- Unfinished uploads from before this migration expire a day from now.
UPDATE "csp"."uploads" SET "expires_at" = CURRENT_TIMESTAMP + INTERVAL '24 hours' WHERE "status" = 'RECEIVING';
