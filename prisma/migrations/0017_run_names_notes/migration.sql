-- Runs get a name and a note, uploads a note (issue #17, item 8): free text the admin or the
-- uploading hospital writes; public metadata at the CSP like a run's k or an upload's label.
ALTER TABLE "csp"."clustering_runs" ADD COLUMN "name" TEXT NOT NULL DEFAULT '';
ALTER TABLE "csp"."clustering_runs" ADD COLUMN "note" TEXT NOT NULL DEFAULT '';
ALTER TABLE "csp"."uploads" ADD COLUMN "note" TEXT NOT NULL DEFAULT '';
