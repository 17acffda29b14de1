-- Clustering on CKKS-encrypted features (lib/hopcm/encrypted): the key holder's keys (authority),
-- per-upload feature ciphertexts, runs and their labels (CSP), sealed centers and distances
-- (authority). The job queue itself lives in pg-boss's own schema "pgboss" (created by pg-boss).

-- The key holder's CKKS keys: public material in the clear, the secret key sealed (AES-256-GCM).
CREATE TABLE "authority"."ckks_keys" (
    "id" UUID NOT NULL,
    "params_id" TEXT NOT NULL,
    "public_key" BYTEA NOT NULL,
    "relin_keys" BYTEA NOT NULL,
    "galois_keys" BYTEA NOT NULL,
    "rotation_steps" JSONB NOT NULL,
    "sealed_secret_key" BYTEA NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ckks_keys_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "ckks_keys_active_idx" ON "authority"."ckks_keys"("active");

-- An upload's feature tensors, column-major blocks of CKKS ciphertexts (hospital browser, public key).
CREATE TABLE "csp"."upload_features" (
    "upload_id" UUID NOT NULL,
    "status" "csp"."UploadStatus" NOT NULL DEFAULT 'RECEIVING',
    "params_id" TEXT NOT NULL,
    "ckks_key_id" UUID NOT NULL,
    "n" INTEGER NOT NULL,
    "p" INTEGER NOT NULL,
    "columns" JSONB NOT NULL,
    "block_count" INTEGER NOT NULL,
    "ciphertext_count" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stored_at" TIMESTAMPTZ(3),
    CONSTRAINT "upload_features_pkey" PRIMARY KEY ("upload_id")
);
ALTER TABLE "csp"."upload_features" ADD CONSTRAINT "upload_features_upload_id_fkey"
    FOREIGN KEY ("upload_id") REFERENCES "csp"."uploads"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "csp"."feature_ciphertexts" (
    "upload_id" UUID NOT NULL,
    "block" INTEGER NOT NULL,
    "feature" INTEGER NOT NULL,
    "ct" BYTEA NOT NULL,
    "sha256" TEXT NOT NULL,
    CONSTRAINT "feature_ciphertexts_pkey" PRIMARY KEY ("upload_id", "block", "feature")
);
ALTER TABLE "csp"."feature_ciphertexts" ADD CONSTRAINT "feature_ciphertexts_upload_id_fkey"
    FOREIGN KEY ("upload_id") REFERENCES "csp"."upload_features"("upload_id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TYPE "csp"."RunStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

CREATE TABLE "csp"."clustering_runs" (
    "id" UUID NOT NULL,
    "status" "csp"."RunStatus" NOT NULL DEFAULT 'QUEUED',
    "k" INTEGER NOT NULL,
    "upload_ids" JSONB NOT NULL,
    "n" INTEGER NOT NULL,
    "p" INTEGER NOT NULL,
    "created_by_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "heartbeat_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "iteration" INTEGER NOT NULL DEFAULT 0,
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "objective" JSONB NOT NULL DEFAULT '[]',
    "cancel_requested" BOOLEAN NOT NULL DEFAULT false,
    "error" TEXT,
    "csp_ms" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "key_holder_ms" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "cluster_sizes" JSONB,
    CONSTRAINT "clustering_runs_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "clustering_runs_status_idx" ON "csp"."clustering_runs"("status");

-- Final labels (discrete) and typicalities (rounded): what the CSP may know to serve clusters.
CREATE TABLE "csp"."run_labels" (
    "run_id" UUID NOT NULL,
    "upload_id" UUID NOT NULL,
    "record_index" INTEGER NOT NULL,
    "label" INTEGER NOT NULL,
    "typicality" DOUBLE PRECISION[],
    CONSTRAINT "run_labels_pkey" PRIMARY KEY ("run_id", "upload_id", "record_index")
);
CREATE INDEX "run_labels_run_id_label_idx" ON "csp"."run_labels"("run_id", "label");
ALTER TABLE "csp"."run_labels" ADD CONSTRAINT "run_labels_run_id_fkey"
    FOREIGN KEY ("run_id") REFERENCES "csp"."clustering_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Key-holder knowledge of a run (centers k x p, distances k x n), sealed at rest.
CREATE TABLE "authority"."run_secrets" (
    "run_id" UUID NOT NULL,
    "k" INTEGER NOT NULL,
    "n" INTEGER NOT NULL,
    "p" INTEGER NOT NULL,
    "sealed_centers" BYTEA NOT NULL,
    "sealed_distances" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "run_secrets_pkey" PRIMARY KEY ("run_id")
);
