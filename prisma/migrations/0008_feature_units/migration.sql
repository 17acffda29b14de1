-- Run-wide units (lib/hopcm units.ts): each hospital z-scores its own upload, so a run over
-- several uploads maps them to one normalisation. The browser sends its upload's column means,
-- standard deviations and largest record norm encrypted under the key holder's CKKS public key
-- (the CSP cannot read them); a run keeps its normalisation (sealed) for later extensions.
ALTER TABLE "csp"."upload_features" ADD COLUMN "stats_ct" BYTEA;
ALTER TABLE "authority"."run_secrets" ADD COLUMN "sealed_reference" BYTEA;
