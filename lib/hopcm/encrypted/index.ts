/**
 * lib/hopcm/encrypted: HoPCM on CKKS-encrypted feature tensors (node-seal 6.0.3).
 * Isomorphic: every function takes a SEAL instance (or a `Ckks` made from one) that the caller
 * loads: `loadSealNode()` from ./seal-node in Node, `import("node-seal/throws_wasm_web_es")` in
 * the browser.
 * - params:     CKKS parameters, modulus chain and scales; `createCkks`
 * - layout:     slot layouts (column-major blocks, class layout for the weighted sums)
 * - hospital:   `encryptFeatureBlocks` (public key; runs in the browser)
 * - key-holder: `createKeyHolder` / `loadKeyHolder` (secret key; the authority)
 * - csp:        `createCspEvaluator`, `cspPrepare`, `cspDistances`, `cspWeightedSums`, `cspSelectPoint`
 * - backend:    `encryptedBackend` for lib/hopcm's `runHopcmAsync`; `setupEncryptedHopcm`
 */
export * from "./params";
export * from "./layout";
export * from "./messages";
export * from "./hospital";
export * from "./key-holder";
export * from "./csp";
export * from "./backend";
