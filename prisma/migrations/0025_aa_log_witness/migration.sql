-- The portal witnesses each attribute authority's log (lib/aa/witness.ts) as it witnesses the
-- CSP's: one row per log in authority.log_witness, named `aa:<service>`. Unless the portal is
-- configured with the AA's log key (MEDSHARE_AA_LOG_PUBLIC_KEYS), the key of the first head it
-- accepted is pinned here: a head under another key is refused and alerted, never re-pinned silently.
ALTER TABLE "authority"."log_witness" ADD COLUMN "public_key" TEXT;
