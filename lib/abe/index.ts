/**
 * ABE-OD: attribute-based encryption with outsourced decryption for MedShare
 * (Lewko-Waters decentralized CP-ABE on BLS12-381 + the paper's verifiable envelope).
 * Pure and isomorphic: @noble/* only, no Node or DOM APIs.
 *
 * Typical flow:
 *   const pp = setupGlobal();
 *   const { secret, vk } = setupAttribute("HA1.cardiology");          // authority
 *   const sik = keygen(secret, gid);                                    // authority -> user (wrapKey)
 *   const { envelope, records } = encryptBatch(pp, vks, policy, rows);  // uploader's browser
 *   assertIntegrity(pp, envelope);                                       // CSP at upload
 *   const { tk, secret: ts } = makeTransformKey({ gid, keys });          // user's browser
 *   const pd = partialDecrypt(pp, envelope, tk);                         // CSP
 *   const { batchKey } = finishDecrypt(pp, envelope, pd, ts);            // user's browser
 *   const row0 = openRecord(batchKey, records[0]);
 *
 * Performance notes:
 * - The hot arithmetic runs on a WebAssembly module generated at runtime from TypeScript
 *   (lib/abe/wasm); without WebAssembly (or under a Content-Security-Policy lacking
 *   'wasm-unsafe-eval') everything falls back to noble and stays correct, only slower.
 *   arithmeticBackend() tells which one is in use.
 * - Encryption builds per-VK precomputation tables (about 1.9 MB per VK, 50-80 ms) on first use,
 *   cached per VK object: decode VKs once and reuse the objects; precomputeVk warms them.
 * - The benchmark behind `npm run bench:abe` and the /benchmarks page is lib/abe/bench.ts.
 */
export { AbeError, isAbeError, type AbeErrorCode } from "./errors";
export { ObjectType, FORMAT_VERSION, peekObjectType } from "./codec";
export { type G1, type G2, type GT, type Fr, type Rng, arithmeticBackend } from "./group";
export {
  type AttributeAuthorityKeys,
  type AttributeSecret,
  type AttributeVk,
  type CiphertextRow,
  type Envelope,
  type MerkleProof,
  type Opened,
  type PartialDecryption,
  type PublicParams,
  type RecordCiphertext,
  type SchemeOptions,
  type TransformKey,
  type TransformSecret,
  type UserKeys,
  type VkSet,
  SUITE,
} from "./types";
export { setupGlobal, setupAttribute, vkFromSecret, keygen, verifyUserKey, makeTransformKey, transformKeyFor, precomputeVk } from "./keys";
export { encrypt, checkIntegrity, assertIntegrity, decrypt, compilePolicy, type EncryptOptions, type DecryptOptions } from "./envelope";
export { partialDecrypt, finishDecrypt, type FinishOptions } from "./outsource";
export {
  encryptBatch,
  sealBatchRecords,
  sealBatchRecordsNative,
  sealBatchEnvelope,
  openRecord,
  recordProof,
  verifyRecord,
  recordLeaf,
  type BatchRecordInput,
} from "./batch";
export { merkleRoot, merkleProof, merkleProofs, verifyMerkleProof, leafHash, type Sha256 } from "./merkle";
export { generateWrapKeyPair, wrapKey, unwrapKey, encodeWrapPublicKey, decodeWrapPublicKey, type WrapKeyPair } from "./wrap";
export {
  encodePublicParams,
  decodePublicParams,
  encodeAttributeVk,
  decodeAttributeVk,
  encodeVkSet,
  decodeVkSet,
  encodeAttributeSecret,
  decodeAttributeSecret,
  encodeUserKeys,
  decodeUserKeys,
  encodeTransformKey,
  decodeTransformKey,
  encodeTransformSecret,
  decodeTransformSecret,
  encodeEnvelope,
  decodeEnvelope,
  envelopeDigest,
  encodeRecordCiphertext,
  decodeRecordCiphertext,
  encodeMerkleProof,
  decodeMerkleProof,
  encodePartialDecryption,
  decodePartialDecryption,
} from "./serialize";
export {
  parsePolicy,
  formatPolicy,
  describePolicy,
  policyAttributes,
  explainMissing,
  satisfies,
  compileLsss,
  reconstruct,
  PolicyError,
  type PolicyNode,
  authorityGroups,
  describeAuthorityGroups,
  attributeAuthority,
} from "./policy";
// Module 4: attribute-based signatures (lib/abe/abs.ts).
export { absSign, absVerify, encodeAbsSignature, decodeAbsSignature, absPolicyId, type AbsSignature, type AbsVerifyResult, type AbsFailureReason } from "./abs";
