-- Issue #15, "Rotation must not lock out holders": a person's transform key covers every key
-- version they hold, as one row per layer (layer 0: the newest version of each attribute,
-- layer 1: the next older, ...), all made with the same z in their browser. The CSP picks, per
-- upload, the layer entries matching the upload's attribute versions. Existing rows are layer 0.
ALTER TABLE "authority"."transform_keys" ADD COLUMN "layer" INTEGER NOT NULL DEFAULT 0;
DROP INDEX "authority"."transform_keys_user_id_key";
CREATE UNIQUE INDEX "transform_keys_user_id_layer_key" ON "authority"."transform_keys"("user_id", "layer");
