-- Issue #15 "Owner decisions": per upload, requests are decided automatically once the ABS
-- verifies (the default) or by a named approver of the uploading hospital, optionally with a
-- second reviewer. The organisation keeps its default and its terms of use (authority side);
-- the CSP keeps each upload's mode and each requested upload's decision, and refuses to serve
-- or partially decrypt until every upload of a request that needs a decision was approved.

ALTER TABLE "portal"."organisations"
    ADD COLUMN "decision_mode" TEXT NOT NULL DEFAULT 'automatic',
    ADD COLUMN "approver_id" UUID,
    ADD COLUMN "reviewer_id" UUID,
    ADD COLUMN "terms" TEXT NOT NULL DEFAULT '',
    ADD CONSTRAINT "organisations_decision_mode_check" CHECK ("decision_mode" IN ('automatic', 'hospital'));

ALTER TABLE "csp"."uploads"
    ADD COLUMN "decision_mode" TEXT NOT NULL DEFAULT 'automatic',
    ADD COLUMN "approver_id" UUID,
    ADD COLUMN "reviewer_id" UUID,
    ADD CONSTRAINT "uploads_decision_mode_check" CHECK (
        ("decision_mode" = 'automatic' AND "approver_id" IS NULL AND "reviewer_id" IS NULL)
        OR ("decision_mode" = 'hospital' AND "approver_id" IS NOT NULL AND ("reviewer_id" IS NULL OR "reviewer_id" <> "approver_id"))
    );

ALTER TABLE "csp"."access_requests"
    ADD COLUMN "terms_accepted_at" TIMESTAMPTZ(3),
    ADD COLUMN "terms_digest" TEXT,
    ADD COLUMN "asked_period_days" INTEGER;

ALTER TABLE "csp"."access_request_uploads"
    ADD COLUMN "decision" TEXT,
    ADD COLUMN "approved_by" UUID,
    ADD COLUMN "approved_at" TIMESTAMPTZ(3),
    ADD COLUMN "reviewed_by" UUID,
    ADD COLUMN "reviewed_at" TIMESTAMPTZ(3),
    ADD COLUMN "decision_reason" TEXT,
    ADD COLUMN "asked_records" INTEGER,
    ADD CONSTRAINT "access_request_uploads_decision_check" CHECK ("decision" IS NULL OR "decision" IN ('pending', 'approved', 'denied'));
