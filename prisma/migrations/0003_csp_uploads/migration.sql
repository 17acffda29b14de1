-- Portal policy templates; CSP ciphertext store (uploads, staging chunks, record ciphertexts).
CREATE TABLE "portal"."policy_templates" (
    "id" UUID NOT NULL,
    "organisation_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "policy" TEXT NOT NULL,
    "created_by_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "policy_templates_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "policy_templates_organisation_id_name_key" ON "portal"."policy_templates"("organisation_id", "name");

CREATE TYPE "csp"."UploadStatus" AS ENUM ('RECEIVING', 'STORED');

CREATE TABLE "csp"."uploads" (
    "id" UUID NOT NULL,
    "organisation_id" UUID NOT NULL,
    "uploader_id" UUID NOT NULL,
    "status" "csp"."UploadStatus" NOT NULL DEFAULT 'RECEIVING',
    "label" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "policy" TEXT NOT NULL,
    "key_versions" JSONB NOT NULL,
    "envelope" BYTEA NOT NULL,
    "envelope_digest" BYTEA NOT NULL,
    "records_root" BYTEA NOT NULL,
    "record_count" INTEGER NOT NULL,
    "chunk_count" INTEGER NOT NULL,
    "total_bytes" INTEGER NOT NULL,
    "signature" BYTEA NOT NULL,
    "signature_policy" TEXT NOT NULL,
    "signature_versions" JSONB NOT NULL,
    "signer_gid" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stored_at" TIMESTAMPTZ(3),
    CONSTRAINT "uploads_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "uploads_organisation_id_idx" ON "csp"."uploads"("organisation_id");

CREATE TABLE "csp"."upload_chunks" (
    "upload_id" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "sha256" TEXT NOT NULL,
    CONSTRAINT "upload_chunks_pkey" PRIMARY KEY ("upload_id", "index")
);
ALTER TABLE "csp"."upload_chunks" ADD CONSTRAINT "upload_chunks_upload_id_fkey"
    FOREIGN KEY ("upload_id") REFERENCES "csp"."uploads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "csp"."record_ciphertexts" (
    "upload_id" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "record_id" TEXT NOT NULL,
    "ct" BYTEA NOT NULL,
    "leaf_hash" BYTEA NOT NULL,
    CONSTRAINT "record_ciphertexts_pkey" PRIMARY KEY ("upload_id", "index")
);
ALTER TABLE "csp"."record_ciphertexts" ADD CONSTRAINT "record_ciphertexts_upload_id_fkey"
    FOREIGN KEY ("upload_id") REFERENCES "csp"."uploads"("id") ON DELETE CASCADE ON UPDATE CASCADE;
