-- Re-encryption under new key versions: an upload may replace an older one of its organisation.
ALTER TABLE "csp"."uploads" ADD COLUMN "replaces_id" UUID;
