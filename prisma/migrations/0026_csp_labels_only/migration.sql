-- Issue #14, "the CSP stores labels only": per-record values leave both parties' tables.
--  * csp.run_labels keeps each record's cluster, not its typicalities (t = 1/(1 + b d2/eta) gave
--    the CSP every record's distance to every center up to one constant per cluster);
--  * csp.clustering_runs keeps per-cluster aggregates of those typicalities (10-bin histogram
--    counts and the sum, for the mean) instead, and no objective trace;
--  * the objective trace is the key holder's knowledge: authority.run_traces;
--  * authority.run_secrets no longer keeps the records' distances (k x n): the key holder keeps
--    aggregates only (centers, mass, the run's units).

CREATE TABLE "authority"."run_traces" (
    "run_id" UUID NOT NULL,
    "objective" JSONB NOT NULL DEFAULT '[]',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "run_traces_pkey" PRIMARY KEY ("run_id")
);
INSERT INTO "authority"."run_traces" ("run_id", "objective")
    SELECT "id", "objective" FROM "csp"."clustering_runs" WHERE "objective" <> '[]'::jsonb;

ALTER TABLE "csp"."clustering_runs" ADD COLUMN "typicality" JSONB;

-- Finished runs: the aggregates from the rounded typicalities stored so far (own cluster, 10 bins over [0, 1]).
WITH t AS (
    SELECT l."run_id", l."label",
           LEAST(9, GREATEST(0, floor(COALESCE(l."typicality"[l."label" + 1], 0) * 10)))::int AS bin,
           COALESCE(l."typicality"[l."label" + 1], 0) AS value
    FROM "csp"."run_labels" l
), grid AS (
    SELECT r."id" AS run_id, c.label, b.bin
    FROM "csp"."clustering_runs" r
    CROSS JOIN LATERAL generate_series(0, r."k" - 1) AS c(label)
    CROSS JOIN generate_series(0, 9) AS b(bin)
    WHERE r."status" = 'SUCCEEDED'
), counts AS (
    SELECT g.run_id, g.label, g.bin, count(t."run_id") AS n
    FROM grid g LEFT JOIN t ON t."run_id" = g.run_id AND t."label" = g.label AND t.bin = g.bin
    GROUP BY g.run_id, g.label, g.bin
), per_cluster AS (
    SELECT c.run_id, c.label, jsonb_agg(c.n ORDER BY c.bin) AS bins,
           (SELECT COALESCE(round(sum(t.value)::numeric, 4), 0) FROM t WHERE t."run_id" = c.run_id AND t."label" = c.label) AS total
    FROM counts c GROUP BY c.run_id, c.label
)
UPDATE "csp"."clustering_runs" r SET "typicality" = s.summary
FROM (
    SELECT run_id, jsonb_build_object('bins', jsonb_agg(bins ORDER BY label), 'sums', jsonb_agg(total ORDER BY label)) AS summary
    FROM per_cluster GROUP BY run_id
) s
WHERE r."id" = s.run_id;

ALTER TABLE "csp"."clustering_runs" DROP COLUMN "objective";
ALTER TABLE "csp"."run_labels" DROP COLUMN "typicality";
ALTER TABLE "authority"."run_secrets" DROP COLUMN "sealed_distances";
