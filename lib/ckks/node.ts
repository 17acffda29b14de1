import "server-only";
import { createCkks, type Ckks } from "@/lib/hopcm/encrypted";
import { blindContext, type BlindContext } from "@/lib/hopcm/encrypted/blind/keys";
import { loadSealNode } from "@/lib/hopcm/encrypted/seal-node";

/**
 * The process's CKKS context (public parameters, no keys): every server party (CSP, key
 * holder) uses the same one. SEAL's WebAssembly module takes ~0.3 s to start, so it is made
 * once, on first need, and kept across Next's dev reloads.
 */
const globalForCkks = globalThis as unknown as { medshareCkks?: Promise<Ckks> };

export function nodeCkks(): Promise<Ckks> {
  globalForCkks.medshareCkks ??= loadSealNode()
    .then((seal) => createCkks(seal))
    .catch((error) => {
      globalForCkks.medshareCkks = undefined;
      throw error;
    });
  return globalForCkks.medshareCkks;
}

const globalForBlind = globalThis as unknown as { medshareBlindContext?: Promise<BlindContext> };

/** The blind protocol's public context (lib/hopcm/encrypted/blind/keys.ts, no keys), made once per process. */
export function nodeBlindContext(): Promise<BlindContext> {
  globalForBlind.medshareBlindContext ??= nodeCkks()
    .then((ckks) => blindContext(ckks.seal))
    .catch((error) => {
      globalForBlind.medshareBlindContext = undefined;
      throw error;
    });
  return globalForBlind.medshareBlindContext;
}
