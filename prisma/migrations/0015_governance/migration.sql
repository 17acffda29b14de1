-- Governance of access requests (issue #15). The CSP keeps each grant's period and expiry and
-- whether its owner withdrew it, and refuses, by itself, to serve or partially decrypt after
-- either; the authority keeps the outcome the researcher's browser reported.

ALTER TABLE "csp"."access_requests"
    ADD COLUMN "period_days" INTEGER NOT NULL DEFAULT 30,
    ADD COLUMN "expires_at" TIMESTAMPTZ(3),
    ADD COLUMN "withdrawn_at" TIMESTAMPTZ(3),
    ADD COLUMN "withdrawn_by" UUID,
    ADD COLUMN "withdraw_reason" TEXT,
    ADD COLUMN "renewal_requested_at" TIMESTAMPTZ(3);

CREATE TABLE "authority"."request_outcomes" (
    "request_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "outcome" TEXT NOT NULL,
    "detail" TEXT,
    "completed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "request_outcomes_pkey" PRIMARY KEY ("request_id"),
    CONSTRAINT "request_outcomes_outcome_check" CHECK ("outcome" IN ('decrypted', 'refused', 'failed'))
);
REVOKE ALL ON "authority"."request_outcomes" FROM PUBLIC;
