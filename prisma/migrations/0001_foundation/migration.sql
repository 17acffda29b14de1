-- MedShare foundation: party schemas, accounts, audit ledger.
CREATE SCHEMA IF NOT EXISTS "portal";
CREATE SCHEMA IF NOT EXISTS "authority";
CREATE SCHEMA IF NOT EXISTS "csp";
CREATE SCHEMA IF NOT EXISTS "ledger";

CREATE TYPE "portal"."OrgKind" AS ENUM ('HOSPITAL', 'INSTITUTE', 'AUTHORITY');
CREATE TYPE "portal"."Role" AS ENUM ('HOSPITAL_STAFF', 'RESEARCHER', 'AUTHORITY_ADMIN');
CREATE TYPE "portal"."UserStatus" AS ENUM ('PENDING', 'APPROVED', 'REJECTED', 'REVOKED');

CREATE TABLE "portal"."organisations" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "portal"."OrgKind" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "organisations_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "organisations_name_key" ON "portal"."organisations"("name");

CREATE TABLE "portal"."users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "gid" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" "portal"."Role" NOT NULL,
    "status" "portal"."UserStatus" NOT NULL DEFAULT 'PENDING',
    "organisation_id" UUID NOT NULL,
    "decision_reason" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "decided_by_id" UUID,
    "failed_logins" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMPTZ(3),
    "session_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_email_key" ON "portal"."users"("email");
CREATE UNIQUE INDEX "users_gid_key" ON "portal"."users"("gid");
CREATE INDEX "users_status_idx" ON "portal"."users"("status");
ALTER TABLE "portal"."users" ADD CONSTRAINT "users_organisation_id_fkey"
    FOREIGN KEY ("organisation_id") REFERENCES "portal"."organisations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "portal"."login_attempts" (
    "id" BIGSERIAL NOT NULL,
    "client_key" TEXT NOT NULL,
    "success" BOOLEAN NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "login_attempts_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "login_attempts_client_key_at_idx" ON "portal"."login_attempts"("client_key", "at");

CREATE TABLE "portal"."setup_tokens" (
    "id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "used_at" TIMESTAMPTZ(3),
    CONSTRAINT "setup_tokens_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "setup_tokens_token_hash_key" ON "portal"."setup_tokens"("token_hash");

CREATE TABLE "ledger"."audit_entries" (
    "seq" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_id" UUID,
    "action" TEXT NOT NULL,
    "subject_type" TEXT NOT NULL,
    "subject_id" TEXT,
    "data" JSONB NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    CONSTRAINT "audit_entries_pkey" PRIMARY KEY ("seq")
);
CREATE UNIQUE INDEX "audit_entries_hash_key" ON "ledger"."audit_entries"("hash");
CREATE INDEX "audit_entries_action_idx" ON "ledger"."audit_entries"("action");

-- The ledger is append-only: refuse UPDATE, DELETE and TRUNCATE whoever asks.
CREATE FUNCTION "ledger"."refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger.audit_entries is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "audit_entries_append_only"
  BEFORE UPDATE OR DELETE ON "ledger"."audit_entries"
  FOR EACH ROW EXECUTE FUNCTION "ledger"."refuse_change"();
CREATE TRIGGER "audit_entries_no_truncate"
  BEFORE TRUNCATE ON "ledger"."audit_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION "ledger"."refuse_change"();
