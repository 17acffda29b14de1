import "server-only";
import { createCkks, type Ckks } from "@/lib/hopcm/encrypted";
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
