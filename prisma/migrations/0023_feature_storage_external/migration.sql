-- Issue #17 item 15: the upload's ciphertexts (CKKS feature tensors, their encrypted statistics,
-- record chunks in transit) are random-looking bytes that pglz cannot shrink; it still tried on
-- every row of ~393 KB before storing it uncompressed. EXTERNAL: out of line in TOAST, never
-- compressed (rows stored from now on; existing values stay as they are).
ALTER TABLE "csp"."feature_ciphertexts" ALTER COLUMN "ct" SET STORAGE EXTERNAL;
ALTER TABLE "csp"."upload_features" ALTER COLUMN "stats_ct" SET STORAGE EXTERNAL;
ALTER TABLE "csp"."upload_chunks" ALTER COLUMN "data" SET STORAGE EXTERNAL;
