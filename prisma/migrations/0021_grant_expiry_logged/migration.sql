-- Issue #15, "Audit entries for every decision, withdrawal and expiry": a grant's expiry is
-- written to the CSP's log once per expiry (GRANT_EXPIRED). The column holds the expiry that
-- was logged: a renewal sets a new expires_at, whose passing is logged again.
ALTER TABLE "csp"."access_requests" ADD COLUMN "expiry_logged_for" TIMESTAMPTZ(3);
