-- Clustering seeds are secret (issue #11 item 13): each run's k-means++ seed comes from the
-- CSPRNG and is sealed by the key holder under the authority's KEK (AAD bound to the run id).
-- It lives in the authority's schema only: never in csp tables or in pg-boss job payloads.
-- A row is written when the run is started; runs made before this migration get one at their
-- next processing (they used the public seed 42).
CREATE TABLE "authority"."run_seeds" (
    "run_id" UUID NOT NULL,
    "sealed_seed" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "run_seeds_pkey" PRIMARY KEY ("run_id")
);
