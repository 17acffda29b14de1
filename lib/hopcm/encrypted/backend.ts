/**
 * The encrypted protocol as an AsyncHopcmBackend: lib/hopcm's coordinator (membership step,
 * guard, stopping rule) runs unchanged at the key holder and each of its requests becomes a
 * round trip key holder -> CSP -> key holder:
 *
 *   distances(v)      KH encryptCenters(v)     -> CSP cspDistances    -> KH decryptDistances
 *   weightedSums(w)   KH encryptWeights(w)     -> CSP cspWeightedSums -> KH decryptSums
 *   pointDistances(j) KH encryptSelector(j)    -> CSP cspSelectPoint + cspDistances -> KH decryptDistances
 *
 * Party boundaries stay explicit: each step is a call into one party with messages
 * (messages.ts); with `wire: "bytes"` every message is serialised and loaded again in between,
 * as it would be between lib/authority and lib/csp.
 */
import type { AsyncHopcmBackend } from "../hopcm";
import {
  cspDistances,
  cspPrepare,
  cspSelectPoint,
  cspWeightedSums,
  createCspEvaluator,
  disposeCspEvaluator,
  disposeDataset,
  type CspDataset,
  type CspEvaluator,
} from "./csp";
import { encryptFeatureBlocks } from "./hospital";
import { createKeyHolder, type KeyHolder } from "./key-holder";
import { cspEvalKeys, dispose, fromWire, toWire, type EncryptedFeatures, type Message } from "./messages";
import { createCkks, type Ckks, type CkksParams, type Seal } from "./params";

export interface RequestTimes {
  distances: number;
  weightedSums: number;
  pointDistances: number;
}

export interface EncryptedTimes {
  /** CSP computation on ciphertexts, ms. */
  csp: RequestTimes;
  /** Key-holder cryptography (encrypt requests, decrypt replies), ms. The coordinator's own work happens outside the backend. */
  keyHolder: RequestTimes;
  /** Serialising and loading messages between the parties (wire "bytes"), ms. */
  wire: number;
  /** Requests answered. */
  count: RequestTimes;
}

export interface EncryptedBackend extends AsyncHopcmBackend {
  readonly times: EncryptedTimes;
  resetTimes(): void;
}

export interface EncryptedParties {
  ckks: Ckks;
  keyHolder: KeyHolder;
  csp: CspEvaluator;
  data: CspDataset;
}

export interface EncryptedBackendOptions {
  /** "memory" (default): hand SEAL objects over; "bytes": serialise every message in between. */
  wire?: "memory" | "bytes";
  now?: () => number;
}

const zeroTimes = (): RequestTimes => ({ distances: 0, weightedSums: 0, pointDistances: 0 });

export function encryptedBackend(parties: EncryptedParties, options: EncryptedBackendOptions = {}): EncryptedBackend {
  const { ckks, keyHolder, csp, data } = parties;
  const { n, p } = data;
  const now = options.now ?? (() => performance.now());
  const times: EncryptedTimes = { csp: zeroTimes(), keyHolder: zeroTimes(), wire: 0, count: zeroTimes() };

  const timed = <R>(bucket: RequestTimes, key: keyof RequestTimes, f: () => R): R => {
    const t0 = now();
    try {
      return f();
    } finally {
      bucket[key] += now() - t0;
    }
  };
  const transfer = <M extends Message>(msg: M): M => {
    if (options.wire !== "bytes") return msg;
    const t0 = now();
    const out = fromWire<M>(ckks, toWire(ckks, msg));
    dispose(msg);
    times.wire += now() - t0;
    return out;
  };

  return {
    n,
    p,
    times,
    resetTimes() {
      Object.assign(times, { csp: zeroTimes(), keyHolder: zeroTimes(), wire: 0, count: zeroTimes() });
    },

    distances(centers, k) {
      times.count.distances++;
      const request = transfer(timed(times.keyHolder, "distances", () => keyHolder.encryptCenters(centers, k, p)));
      const reply = transfer(timed(times.csp, "distances", () => cspDistances(csp, data, request)));
      dispose(request);
      const d2 = timed(times.keyHolder, "distances", () => keyHolder.decryptDistances(reply, n));
      dispose(reply);
      return d2;
    },

    weightedSums(weights, k) {
      times.count.weightedSums++;
      const { message, totals } = timed(times.keyHolder, "weightedSums", () => keyHolder.encryptWeights(weights, k, n, p));
      const request = transfer(message);
      const reply = transfer(timed(times.csp, "weightedSums", () => cspWeightedSums(csp, data, request)));
      dispose(request);
      const sums = timed(times.keyHolder, "weightedSums", () => keyHolder.decryptSums(reply, totals));
      dispose(reply);
      return sums;
    },

    pointDistances(index) {
      times.count.pointDistances++;
      const request = transfer(timed(times.keyHolder, "pointDistances", () => keyHolder.encryptSelector(index, n)));
      const reply = transfer(
        timed(times.csp, "pointDistances", () => {
          const center = cspSelectPoint(csp, data, request);
          const d = cspDistances(csp, data, center);
          dispose(center);
          return d;
        }),
      );
      dispose(request);
      const d2 = timed(times.keyHolder, "pointDistances", () => keyHolder.decryptDistances(reply, n));
      dispose(reply);
      return d2;
    },
  };
}

export interface EncryptedSetupOptions extends EncryptedBackendOptions {
  params?: CkksParams;
}

export interface EncryptedSetup {
  backend: EncryptedBackend;
  parties: EncryptedParties;
  /** The stored upload (what the hospital's browser sends). */
  features: EncryptedFeatures;
  /** One-time costs, ms: key generation (key holder), encryption (hospital), preparation (CSP). */
  setup: { keygen: number; encrypt: number; prepare: number };
  dispose(): void;
}

/** All parties in one process over plaintext X (row-major n x p): tests, benchmarks, demos. */
export function setupEncryptedHopcm(seal: Seal, X: Float64Array, n: number, p: number, options: EncryptedSetupOptions = {}): EncryptedSetup {
  const now = options.now ?? (() => performance.now());
  const ckks = createCkks(seal, options.params);
  let t0 = now();
  const keyHolder = createKeyHolder(ckks);
  const keygen = now() - t0;
  t0 = now();
  const features = encryptFeatureBlocks(ckks, keyHolder.publicKeys.publicKey, X, n, p);
  const encrypt = now() - t0;
  t0 = now();
  const csp = createCspEvaluator(ckks, cspEvalKeys(keyHolder.publicKeys));
  const data = cspPrepare(csp, features);
  const prepare = now() - t0;
  const parties = { ckks, keyHolder, csp, data };
  return {
    backend: encryptedBackend(parties, options),
    parties,
    features,
    setup: { keygen, encrypt, prepare },
    dispose() {
      disposeDataset(data);
      disposeCspEvaluator(csp);
      keyHolder.dispose();
    },
  };
}
