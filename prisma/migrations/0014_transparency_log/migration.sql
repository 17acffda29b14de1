-- Transparency log (issue #16, RFC 9162): each party's audit chain is also the leaf sequence of a
-- Merkle tree. The complete subtrees are stored as the entries are appended (same transaction),
-- so inclusion and consistency proofs read O(log n) rows. Leaf i (0-based) is entry seq i+1:
-- SHA-256(0x00 || entry hash); node = SHA-256(0x01 || left || right).
-- Grants follow lib/db/roles.ts: a party's log schema gets SELECT and INSERT only.

CREATE TABLE "ledger"."log_nodes" (
    "level" SMALLINT NOT NULL,
    "index" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,
    CONSTRAINT "log_nodes_pkey" PRIMARY KEY ("level", "index")
);
CREATE TABLE "csp_ledger"."log_nodes" (
    "level" SMALLINT NOT NULL,
    "index" BIGINT NOT NULL,
    "hash" BYTEA NOT NULL,
    CONSTRAINT "log_nodes_pkey" PRIMARY KEY ("level", "index")
);
REVOKE ALL ON ALL TABLES IN SCHEMA "ledger" FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA "csp_ledger" FROM PUBLIC;

CREATE TRIGGER "log_nodes_append_only"
  BEFORE UPDATE OR DELETE ON "ledger"."log_nodes"
  FOR EACH ROW EXECUTE FUNCTION "ledger"."refuse_change"();
CREATE TRIGGER "log_nodes_append_only"
  BEFORE UPDATE OR DELETE ON "csp_ledger"."log_nodes"
  FOR EACH ROW EXECUTE FUNCTION "csp_ledger"."refuse_change"();

-- Witnesses: the last signed tree head each party saw of the other's log, and what it concluded.
CREATE TABLE "authority"."log_witness" (
    "log" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "root" TEXT NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "signature" TEXT NOT NULL,
    "checked_at" TIMESTAMPTZ(3) NOT NULL,
    "agreed_at" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL,
    "problem" TEXT,
    CONSTRAINT "log_witness_pkey" PRIMARY KEY ("log")
);
CREATE TABLE "csp"."log_witness" (
    "log" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "root" TEXT NOT NULL,
    "timestamp" TIMESTAMPTZ(3) NOT NULL,
    "signature" TEXT NOT NULL,
    "checked_at" TIMESTAMPTZ(3) NOT NULL,
    "agreed_at" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL,
    "problem" TEXT,
    CONSTRAINT "log_witness_pkey" PRIMARY KEY ("log")
);

-- Existing entries become leaves: the tree is built here once, from the stored entry hashes.
CREATE FUNCTION pg_temp.build_tree(schema_name TEXT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  lvl INT := 0;
  made BIGINT;
BEGIN
  EXECUTE format('INSERT INTO %I.log_nodes (level, index, hash)
    SELECT 0, seq - 1, sha256(''\x00''::bytea || decode(hash, ''hex'')) FROM %I.audit_entries', schema_name, schema_name);
  LOOP
    EXECUTE format('INSERT INTO %I.log_nodes (level, index, hash)
      SELECT $1 + 1, l.index / 2, sha256(''\x01''::bytea || l.hash || r.hash)
      FROM %I.log_nodes l JOIN %I.log_nodes r ON r.level = l.level AND r.index = l.index + 1
      WHERE l.level = $1 AND mod(l.index, 2) = 0', schema_name, schema_name, schema_name) USING lvl;
    GET DIAGNOSTICS made = ROW_COUNT;
    EXIT WHEN made = 0;
    lvl := lvl + 1;
  END LOOP;
END;
$$;
SELECT pg_temp.build_tree('ledger');
SELECT pg_temp.build_tree('csp_ledger');
