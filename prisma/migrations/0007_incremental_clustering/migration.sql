-- Incremental clustering (DESIGN.md "Clustering", Bu et al. 2021): a run may extend a finished
-- run. It reads only the added uploads' ciphertexts; the key holder brings the base run's
-- centers, weighted by their mass, as k extra points. Labels of the base run's records carry
-- over unchanged (old data is not re-read).

-- upload_ids: every upload the run's labels cover (the base run's, then the added ones);
-- added_upload_ids: the uploads whose feature ciphertexts this run read (all of them for a full run).
ALTER TABLE "csp"."clustering_runs" ADD COLUMN "base_run_id" UUID;
ALTER TABLE "csp"."clustering_runs" ADD COLUMN "added_upload_ids" JSONB NOT NULL DEFAULT '[]';
ALTER TABLE "csp"."clustering_runs" ADD COLUMN "columns" JSONB NOT NULL DEFAULT '[]';
UPDATE "csp"."clustering_runs" SET "added_upload_ids" = "upload_ids";
UPDATE "csp"."clustering_runs" r SET "columns" = f."columns"
    FROM "csp"."upload_features" f WHERE f."upload_id"::text = r."upload_ids"->>0;
ALTER TABLE "csp"."clustering_runs" ADD CONSTRAINT "clustering_runs_base_run_id_fkey"
    FOREIGN KEY ("base_run_id") REFERENCES "csp"."clustering_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
CREATE INDEX "clustering_runs_base_run_id_idx" ON "csp"."clustering_runs"("base_run_id");

-- The mass of each final center (sum of memberships), sealed with the centers: what a later run
-- needs to weigh them. NULL for runs made before incremental clustering (they cannot be extended).
ALTER TABLE "authority"."run_secrets" ADD COLUMN "sealed_mass" BYTEA;
