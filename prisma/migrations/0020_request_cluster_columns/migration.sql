-- Issue #18, "Typed data": a cluster request's run and cluster were only in the string
-- target_id ("<run id>:<cluster>", which stays: it is part of the statement the researcher
-- signs). They become columns of their own, filled for the requests already made; a cluster
-- request has both, any other request neither.
ALTER TABLE "csp"."access_requests" ADD COLUMN "cluster_run_id" UUID;
ALTER TABLE "csp"."access_requests" ADD COLUMN "cluster_index" INTEGER;
UPDATE "csp"."access_requests"
   SET "cluster_run_id" = split_part("target_id", ':', 1)::uuid,
       "cluster_index"  = split_part("target_id", ':', 2)::integer
 WHERE "target_type" = 'cluster';
ALTER TABLE "csp"."access_requests" ADD CONSTRAINT "access_requests_cluster_columns"
  CHECK (("target_type" = 'cluster') = ("cluster_run_id" IS NOT NULL AND "cluster_index" IS NOT NULL AND "cluster_index" >= 0)
         AND ("target_type" = 'cluster' OR ("cluster_run_id" IS NULL AND "cluster_index" IS NULL)));
