-- Access requests (CSP), their per-upload partial decryptions, and the authority's ABS verifications.
CREATE TYPE "csp"."RequestStatus" AS ENUM ('AWAITING_SIGNATURE', 'READY', 'REJECTED');

CREATE TABLE "csp"."access_requests" (
    "id" UUID NOT NULL,
    "requester_id" UUID NOT NULL,
    "organisation_id" UUID NOT NULL,
    "purpose" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT NOT NULL,
    "abs_policy" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "status" "csp"."RequestStatus" NOT NULL DEFAULT 'AWAITING_SIGNATURE',
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMPTZ(3),
    CONSTRAINT "access_requests_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "access_requests_nonce_key" ON "csp"."access_requests"("nonce");
CREATE INDEX "access_requests_requester_id_idx" ON "csp"."access_requests"("requester_id");

CREATE TABLE "csp"."access_request_uploads" (
    "request_id" UUID NOT NULL,
    "upload_id" UUID NOT NULL,
    "record_indices" JSONB,
    "partial_decryption" BYTEA,
    "missing" JSONB,
    CONSTRAINT "access_request_uploads_pkey" PRIMARY KEY ("request_id", "upload_id")
);
ALTER TABLE "csp"."access_request_uploads" ADD CONSTRAINT "access_request_uploads_request_id_fkey"
    FOREIGN KEY ("request_id") REFERENCES "csp"."access_requests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "authority"."abs_verifications" (
    "id" UUID NOT NULL,
    "request_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "reason" TEXT NOT NULL,
    "policy" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "abs_verifications_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "abs_verifications_request_id_idx" ON "authority"."abs_verifications"("request_id");
