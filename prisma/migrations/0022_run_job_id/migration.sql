-- Issue #18, "Clustering has one home": a run keeps the id of the pg-boss job last sent for it,
-- so whether it has a live job is asked of pg-boss by id (getJobById) instead of scanning
-- pgboss.job's payloads. Null: no job sent yet, or cleared by recoverRuns when it takes the run
-- from a dead worker (whose job stays active in pg-boss until it expires).
ALTER TABLE "csp"."clustering_runs" ADD COLUMN "job_id" UUID;
