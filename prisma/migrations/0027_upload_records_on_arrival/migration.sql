-- Issue #17 item 15: a chunk's records are stored in csp.record_ciphertexts when the chunk arrives
-- (they stay invisible until their upload is STORED); the completion then checks the chunks'
-- layout and Merkle leaves instead of reading every chunk back. A chunk row keeps its size, where
-- its records start, how many there are, and their leaf hashes, no longer its bytes.
--
-- Chunks that arrived before this migration cannot be turned into records here (their framing is
-- parsed by the CSP): they are dropped and their uploads count no bytes received, so the
-- uploader's browser sends them again when it resumes (it sends every chunk the CSP lacks).
DELETE FROM "csp"."upload_chunks";
UPDATE "csp"."uploads" SET "received_bytes" = 0 WHERE "status" = 'RECEIVING';

ALTER TABLE "csp"."upload_chunks" DROP COLUMN "data",
    ADD COLUMN "size" INTEGER NOT NULL,
    ADD COLUMN "first_record" INTEGER NOT NULL,
    ADD COLUMN "record_count" INTEGER NOT NULL,
    ADD COLUMN "leaves" BYTEA NOT NULL;
-- Hashes do not compress: stored out of line without a pglz attempt (as migration 0023's columns).
ALTER TABLE "csp"."upload_chunks" ALTER COLUMN "leaves" SET STORAGE EXTERNAL;
