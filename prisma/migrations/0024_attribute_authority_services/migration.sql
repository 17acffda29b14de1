-- Attribute authorities as their own services (issue #13): each namespace is run by an AA
-- service (lib/aa), which alone holds its master secrets in its own database under its own
-- key-encryption key. The registration authority keeps the public verification keys only.
-- Secrets an install made before this migration stay where they were, renamed, so nothing is
-- lost: new attributes and rotations happen at the AA services; moving old ones there is an
-- operator's step (docs/DEPLOY.md "Upgrading to attribute authority services"). New rows leave it NULL.
ALTER TABLE "authority"."attribute_authorities" ADD COLUMN "service" TEXT;
UPDATE "authority"."attribute_authorities" SET "service" = "code";
ALTER TABLE "authority"."attribute_authorities" ALTER COLUMN "service" SET NOT NULL;
ALTER TABLE "authority"."attribute_key_versions" RENAME COLUMN "sealed_secret" TO "legacy_sealed_secret";
ALTER TABLE "authority"."attribute_key_versions" ALTER COLUMN "legacy_sealed_secret" DROP NOT NULL;
