/**
 * Loads node-seal's Node build (tests, scripts, server code). Not exported from index.ts: the
 * browser loads `node-seal/throws_wasm_web_es` (main thread) or `node-seal/throws_wasm_worker_es`
 * (Web Worker) itself and passes the instance in, so bundles never see this file.
 */
import type { Seal } from "./params";

let cached: Promise<Seal> | null = null;

/** One SEAL instance per process (the WebAssembly module is ~1 MB and takes ~0.3 s to start). */
export function loadSealNode(): Promise<Seal> {
  cached ??= import("node-seal/throws_wasm_node_umd").then((mod) => mod.default());
  return cached;
}
