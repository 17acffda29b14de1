/**
 * lib/hopcm: clustering for MedShare. Pure and isomorphic (no Node or DOM imports).
 * - features: records -> z-scored / one-hot feature matrix + reusable JSON schema
 * - metric: tensor distance G and its Cholesky transform x -> L^T x
 * - steps: distance / membership / center steps (the split the encrypted protocol uses)
 * - options: a run's parameters and defaults
 * - hopcm: the coordinator and the plaintext driver
 * - incremental: prediction and incremental mode over a fitted model
 * - baselines, metrics: k-means, FCM, ARI, NMI, silhouette, PCM objective
 */
export * from "./features";
export * from "./metric";
export * from "./steps";
export * from "./options";
export * from "./hopcm";
export * from "./incremental";
export * from "./baselines";
export * from "./metrics";
export * from "./prng";
export * from "./synthetic";
export * from "./units";
