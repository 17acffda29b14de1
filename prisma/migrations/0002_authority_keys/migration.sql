-- Authority: attribute authorities, attributes with versioned sealed master secrets,
-- grants, wrapped issued keys, transform keys; users' key-wrapping public keys.
ALTER TABLE "portal"."users" ADD COLUMN "wrap_public_key" BYTEA;

CREATE TABLE "authority"."attribute_authorities" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "attribute_authorities_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "attribute_authorities_code_key" ON "authority"."attribute_authorities"("code");

CREATE TABLE "authority"."attributes" (
    "id" UUID NOT NULL,
    "authority_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "current_version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "attributes_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "attributes_name_key" ON "authority"."attributes"("name");
ALTER TABLE "authority"."attributes" ADD CONSTRAINT "attributes_authority_id_fkey"
    FOREIGN KEY ("authority_id") REFERENCES "authority"."attribute_authorities"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "authority"."attribute_key_versions" (
    "id" UUID NOT NULL,
    "attribute_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "vk" BYTEA NOT NULL,
    "sealed_secret" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retired_at" TIMESTAMPTZ(3),
    CONSTRAINT "attribute_key_versions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "attribute_key_versions_attribute_id_version_key" ON "authority"."attribute_key_versions"("attribute_id", "version");
ALTER TABLE "authority"."attribute_key_versions" ADD CONSTRAINT "attribute_key_versions_attribute_id_fkey"
    FOREIGN KEY ("attribute_id") REFERENCES "authority"."attributes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "authority"."attribute_grants" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "attribute_id" UUID NOT NULL,
    "granted_by_id" UUID,
    "granted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "revoked_by_id" UUID,
    CONSTRAINT "attribute_grants_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "attribute_grants_user_id_idx" ON "authority"."attribute_grants"("user_id");
-- at most one active grant per person and attribute
CREATE UNIQUE INDEX "attribute_grants_active_key" ON "authority"."attribute_grants"("user_id", "attribute_id") WHERE "revoked_at" IS NULL;
ALTER TABLE "authority"."attribute_grants" ADD CONSTRAINT "attribute_grants_attribute_id_fkey"
    FOREIGN KEY ("attribute_id") REFERENCES "authority"."attributes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "authority"."issued_keys" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "attribute_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "wrapped_key" BYTEA NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "issued_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "issued_keys_user_id_attribute_id_version_key" ON "authority"."issued_keys"("user_id", "attribute_id", "version");
ALTER TABLE "authority"."issued_keys" ADD CONSTRAINT "issued_keys_attribute_id_fkey"
    FOREIGN KEY ("attribute_id") REFERENCES "authority"."attributes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "authority"."transform_keys" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "tk" BYTEA NOT NULL,
    "key_versions" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "transform_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "transform_keys_user_id_key" ON "authority"."transform_keys"("user_id");
