import "server-only";
import { settings } from "@/lib/config/env";
import { nodeCkks } from "@/lib/ckks/node";
import {
  createCspEvaluator,
  cspEvalKeys,
  cspPrepare,
  dispose,
  disposeCspEvaluator,
  disposeDataset,
  savedCiphertexts,
  type CipherText,
  type CspDataset,
  type CspEvalKeys,
  type EncCenters,
  type EncryptedFeatures,
} from "@/lib/hopcm/encrypted";
import { AppError } from "@/lib/errors";
import { fetchEvalKeys, runKeyHolderClient, type RunKeyHolderLink } from "@/lib/parties/run-kh-client";
import type { RunOrder } from "@/lib/parties/run-kh-wire";
import { hexKey } from "@/lib/parties/token";
import type { TypicalitySummary } from "./typicality";
import { localCspPort, type RunTimes } from "./backend";
import { beat, RunCancelled, type Mine } from "./heartbeat";

/**
 * A run of the standard protocol at the CSP (issue #12): this process holds the uploads'
 * ciphertexts and the evaluation keys the key holder publishes, nothing that decrypts. The key
 * holder (the authority's service, lib/authority/run-key-holder.ts) runs the coordinator and
 * sends orders — one operation on one upload's ciphertexts each (lib/clustering/backend.ts
 * `CspPort`) —; this loop carries them out and answers with the resulting ciphertexts until
 * "done", which brings the labels and the per-cluster typicality aggregates. Progress and the
 * key holder's time come with the orders.
 */

/** The key holder as this worker reaches it: its calls for one run, and the evaluation keys of a key pair. */
export type KeyHolderSide = { link: RunKeyHolderLink; evalKeys(keyId: string): Promise<CspEvalKeys> };

/** Beats at most this often when the orders bring no news (a cancellation is still seen within it). */
const QUIET_BEAT_MS = 2_000;

const evalKeysCache = new Map<string, CspEvalKeys>();

/** The deployment's key holder over HTTP (MEDSHARE_AUTHORITY_URL), calls signed with the CSP's log key. */
export function httpKeyHolder(runId: string): KeyHolderSide {
  const { MEDSHARE_AUTHORITY_URL: url, MEDSHARE_CSP_LOG_SIGNING_KEY: signing } = settings();
  if (!url || !signing)
    throw new AppError(
      "UNAVAILABLE",
      "The clustering worker needs MEDSHARE_AUTHORITY_URL and MEDSHARE_CSP_LOG_SIGNING_KEY to reach the key holder (docs/DEPLOY.md).",
    );
  return {
    link: runKeyHolderClient({ url, signingKey: hexKey(signing, "MEDSHARE_CSP_LOG_SIGNING_KEY"), runId }),
    async evalKeys(keyId) {
      const kept = evalKeysCache.get(keyId);
      if (kept) return kept;
      const keys = cspEvalKeys({ ...(await fetchEvalKeys(url, keyId)), publicKey: new Uint8Array(0) });
      evalKeysCache.set(keyId, keys);
      return keys;
    },
  };
}

export type StandardFeatures = EncryptedFeatures & { keyId: string; stats: Uint8Array | null };

export async function runStandardProtocol(
  mine: Mine,
  run: { id: string; k: number; p: number; baseRunId: string | null },
  features: StandardFeatures[],
  side: KeyHolderSide,
): Promise<{ labels: Int32Array; typicality: TypicalitySummary | null; iterations: number; converged: boolean; times: RunTimes }> {
  const ckks = await nodeCkks();
  const csp = createCspEvaluator(ckks, await side.evalKeys(features[0].keyId));
  const datasets: CspDataset[] = [];
  let port: ReturnType<typeof localCspPort> | null = null;
  const times: RunTimes = { csp: 0, keyHolder: 0 };
  let begun = false;
  try {
    const t0 = performance.now();
    for (const f of features) datasets.push(cspPrepare(csp, f));
    const on = (port = localCspPort(csp, datasets));
    times.csp += performance.now() - t0;
    await beat(mine, {});
    const load = (cts: Uint8Array[]): CipherText[] => cts.map((b) => ckks.loadCiphertext(b));
    const bytes = (cts: CipherText[]) => savedCiphertexts(ckks, cts);
    const centers = (cts: Uint8Array[], k: number): EncCenters => ({ kind: "centers", k, p: run.p, cts: load(cts) });

    /** One order on this process's ciphertexts: the reply's ciphertexts, as bytes. */
    async function carryOut(order: Exclude<RunOrder, { kind: "done" }>): Promise<Uint8Array[]> {
      const u = order.upload;
      if (u >= datasets.length) throw new AppError("CONFLICT", `The key holder asked for upload ${u + 1} of a run of ${datasets.length}.`);
      switch (order.kind) {
        case "scale": {
          const scales = { kind: "scales" as const, p: run.p, cts: load(order.cts) };
          try {
            await on.scale(u, scales);
          } finally {
            dispose(scales);
          }
          return [];
        }
        case "select": {
          const selector = { kind: "selector" as const, blocks: order.blocks, columns: order.columns, cts: load(order.cts) };
          try {
            await on.select(u, selector);
          } finally {
            dispose(selector);
          }
          return [];
        }
        case "distances":
        case "pointDistances": {
          const given = order.kind === "distances" ? centers(order.cts, order.k) : order.offset ? centers(order.offset, 1) : null;
          try {
            const reply = await on.distances(u, order.kind === "distances" ? given! : { point: true, offset: given });
            try {
              return bytes(reply.cts);
            } finally {
              dispose(reply);
            }
          } finally {
            if (given) dispose(given);
          }
        }
        case "sums": {
          const weights = { kind: "weights" as const, k: order.k, blocks: order.blocks, giant: order.giant, cts: load(order.cts) };
          try {
            const reply = await on.sums(u, weights);
            try {
              return bytes(reply.cts);
            } finally {
              dispose(reply);
            }
          } finally {
            dispose(weights);
          }
        }
      }
    }

    let order = await side.link.begin({
      k: run.k,
      p: run.p,
      keyId: features[0].keyId,
      baseRunId: run.baseRunId,
      uploads: features.map((f) => ({ n: f.n, stats: f.stats })),
    });
    begun = true;
    let lastBeat = Date.now();
    let lastIteration = -1;
    while (order.kind !== "done") {
      if (order.beat) times.keyHolder = order.beat.keyHolderMs;
      if ((order.beat && order.beat.iteration !== lastIteration) || Date.now() - lastBeat > QUIET_BEAT_MS) {
        const row = await beat(mine, {
          ...(order.beat ? { iteration: order.beat.iteration, progress: order.beat.progress } : {}),
          cspMs: times.csp,
          keyHolderMs: times.keyHolder,
        });
        if (row.cancelRequested) throw new RunCancelled();
        lastBeat = Date.now();
        lastIteration = order.beat?.iteration ?? lastIteration;
      }
      const t = performance.now();
      let reply: Uint8Array[];
      try {
        reply = await carryOut(order);
      } catch (error) {
        if (error instanceof AppError) throw error;
        throw new AppError("CONFLICT", `The key holder's ${order.kind} order could not be carried out: ${(error as Error)?.message ?? error}`);
      }
      times.csp += performance.now() - t;
      order = await side.link.answer(reply);
    }
    begun = false; // the key holder's session ended with "done"
    times.keyHolder = order.keyHolderMs;
    const n = features.reduce((t, f) => t + f.n, 0);
    if (order.labels.length !== 4 * n) throw new AppError("CONFLICT", `The key holder answered ${order.labels.length / 4} labels for ${n} records.`);
    const labels = new Int32Array(order.labels.buffer.slice(order.labels.byteOffset, order.labels.byteOffset + order.labels.byteLength));
    if (labels.some((l) => l < 0 || l >= run.k)) throw new AppError("CONFLICT", `The key holder answered a label outside 0..${run.k - 1}.`);
    if (order.typicality && (order.typicality.bins.length !== run.k || order.typicality.sums.length !== run.k))
      throw new AppError("CONFLICT", "The key holder's typicality aggregates do not have one entry per cluster.");
    return { labels, typicality: order.typicality, iterations: order.iterations, converged: order.converged, times };
  } catch (error) {
    // the key holder's session goes at once (its secret key's tools with it), not at its idle timeout
    if (begun) await side.link.abort(error instanceof RunCancelled ? "cancelled" : "the CSP stopped the run").catch(() => {});
    throw error;
  } finally {
    port?.dispose();
    for (const d of datasets) disposeDataset(d);
    disposeCspEvaluator(csp);
  }
}
