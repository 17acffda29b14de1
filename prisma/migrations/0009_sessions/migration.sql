-- Accounts, sign-in and sessions (issue #11 items 1, 2, 4, 5).

-- Setup links expire an hour after they are issued; the database keeps the deadline so a
-- token printed in an old log is worthless whatever the app's clock or code says.
ALTER TABLE "portal"."setup_tokens"
    ADD COLUMN "expires_at" TIMESTAMPTZ(3) NOT NULL DEFAULT (CURRENT_TIMESTAMP + interval '1 hour');
UPDATE "portal"."setup_tokens" SET "expires_at" = "created_at" + interval '1 hour';

-- Sign-in attempts are keyed by client address AND by account (hashes of both), so limits can
-- be per address, per address+account pair and per account. Rows of the old scheme carry no
-- account and are simply aged out by the pruning.
ALTER TABLE "portal"."login_attempts" ADD COLUMN "account_key" TEXT;
CREATE INDEX "login_attempts_account_key_at_idx" ON "portal"."login_attempts"("account_key", "at");
CREATE INDEX "login_attempts_at_idx" ON "portal"."login_attempts"("at");

-- The account lockout is gone (a stranger could turn it against the owner).
ALTER TABLE "portal"."users" DROP COLUMN "failed_logins";
ALTER TABLE "portal"."users" DROP COLUMN "locked_until";
-- Shown to the person at their next sign-in: when and from where their key store was replaced.
ALTER TABLE "portal"."users" ADD COLUMN "key_store_replaced_at" TIMESTAMPTZ(3);
ALTER TABLE "portal"."users" ADD COLUMN "key_store_replaced_from" TEXT;

-- Server-side sessions: the JWT carries only the id; the row decides (revoked, absolute
-- lifetime, idle timeout).
CREATE TABLE "portal"."sessions" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    "address_hash" TEXT NOT NULL,
    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "sessions_user_id_idx" ON "portal"."sessions"("user_id");
ALTER TABLE "portal"."sessions" ADD CONSTRAINT "sessions_user_id_fkey"
    FOREIGN KEY ("user_id") REFERENCES "portal"."users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
