-- Parties as separate services (DESIGN.md "Parties and trust"). The CSP keeps its own
-- append-only log (the authority's stays in "ledger"), and remembers the nonces of the
-- authority's party tokens it accepted, so a token is good for one call only.

CREATE SCHEMA IF NOT EXISTS "csp_ledger";
REVOKE CREATE ON SCHEMA "csp_ledger" FROM PUBLIC;

CREATE TABLE "csp_ledger"."audit_entries" (
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
CREATE UNIQUE INDEX "audit_entries_hash_key" ON "csp_ledger"."audit_entries"("hash");
CREATE INDEX "audit_entries_action_idx" ON "csp_ledger"."audit_entries"("action");
REVOKE ALL ON ALL TABLES IN SCHEMA "csp_ledger" FROM PUBLIC;

CREATE FUNCTION "csp_ledger"."refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'csp_ledger.audit_entries is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER "audit_entries_append_only"
  BEFORE UPDATE OR DELETE ON "csp_ledger"."audit_entries"
  FOR EACH ROW EXECUTE FUNCTION "csp_ledger"."refuse_change"();
CREATE TRIGGER "audit_entries_no_truncate"
  BEFORE TRUNCATE ON "csp_ledger"."audit_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION "csp_ledger"."refuse_change"();

CREATE TABLE "csp"."party_token_nonces" (
    "nonce" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "party_token_nonces_pkey" PRIMARY KEY ("nonce")
);
CREATE INDEX "party_token_nonces_expires_at_idx" ON "csp"."party_token_nonces"("expires_at");
