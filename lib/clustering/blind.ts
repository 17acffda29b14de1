import "server-only";
import { settings } from "@/lib/config/env";
import { nodeCkks } from "@/lib/ckks/node";
import { blindCspTools } from "@/lib/hopcm/encrypted/blind/keys";
import { BlindCsp, blockCounts } from "@/lib/hopcm/encrypted/blind/run";
import { driveBlindRun, type BlindOrder, type BlindSessionWire } from "@/lib/hopcm/encrypted/blind/session";
import { fetchBlindPublicKeys, keyHolderClient } from "@/lib/parties/blind-client";
import { hexKey } from "@/lib/parties/token";
import type { RunTimes } from "./backend";
import { beat, RunCancelled, type Mine } from "./heartbeat";

/**
 * A run of the blind protocol (issue #14) at the CSP: the upload's blind tensors, the
 * relinearisation keys the key holder publishes, and the key holder's session at the authority
 * (POST /api/key-holder/<call>, each call signed with the CSP's log key for this run). This
 * process holds no key that decrypts: the key holder's seeding, centers and scales reach it
 * encrypted, and it learns the labels and the number of steps. No extension yet (the centers
 * stay in the key holder's session and are gone with it).
 */

/** The hospitals' clip of z-scores (lib/hopcm/encrypted/blind/keys.ts `encryptBlindFeatures`'s default). */
const CLIP = 3;
/** Seedings the key holder's controller tries before its possibilistic phase (lib/hopcm/blind.ts `draws`' default). */
const DRAWS = 3;

export type BlindFeatures = { keyId: string; n: number; p: number; blocks: Uint8Array[][] };

/** Times the key holder's calls (its cryptography and the trip there and back); the rest is the CSP's. */
function timedWire(wire: BlindSessionWire, times: RunTimes): BlindSessionWire {
  const t =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t0 = performance.now();
      try {
        return await f(...a);
      } finally {
        times.keyHolder += performance.now() - t0;
      }
    };
  return {
    begin: t(wire.begin),
    answer: t(wire.answer),
    finish: t(wire.finish),
    refresh: t(wire.refresh),
    broadcastSums: t(wire.broadcastSums),
    labels: t(wire.labels),
  };
}

/**
 * Progress of a blind run from the orders the CSP sees: each seeding's fuzzy phase, then the
 * possibilistic phase, one share each; within a share the steps approach its end geometrically
 * (a step count is not known in advance), the labels' round at 97%.
 */
export function blindProgress(order: BlindOrder["kind"], draw: number, stepInPhase: number): number {
  if (order === "nearest" || order === "done") return 0.97;
  const share = 0.95 / (DRAWS + 1);
  return Math.min(0.95, share * Math.min(draw, DRAWS) + share * (1 - 0.5 ** (stepInPhase / 8)));
}

/**
 * Runs the blind protocol over one or more uploads' tensors (each upload's blocks as its browser
 * packed them, `blockCounts`; the run's records are the uploads' in order, each in its own z-scores).
 */
export async function runBlindProtocol(mine: Mine, run: { id: string; k: number }, uploads: BlindFeatures[]) {
  const { MEDSHARE_AUTHORITY_URL: url, MEDSHARE_CSP_LOG_SIGNING_KEY: signing } = settings();
  if (!url || !signing)
    throw new Error("the clustering worker needs MEDSHARE_AUTHORITY_URL and MEDSHARE_CSP_LOG_SIGNING_KEY to run the blind protocol (docs/DEPLOY.md)");
  const keys = await fetchBlindPublicKeys(url);
  if (uploads.some((u) => u.keyId !== keys.keyId)) throw new Error("an upload's blind tensors were encrypted under another key than the key holder's");
  const side = blindCspTools((await nodeCkks()).seal, keys.relinKeys);
  const slots = side.tools.encoder.slotCount;
  const n = uploads.reduce((t, u) => t + u.n, 0);
  const counts = uploads.flatMap((u) => blockCounts(u.n, slots));
  const blocks = uploads.flatMap((u) => u.blocks.map((row) => row.map((bytes) => side.io.load(bytes))));
  const times: RunTimes = { csp: 0, keyHolder: 0 };
  const wire = timedWire(keyHolderClient({ url, signingKey: hexKey(signing, "MEDSHARE_CSP_LOG_SIGNING_KEY"), runId: run.id }), times);
  const csp = new BlindCsp(side.tools, blocks, n, run.k, CLIP, wire, counts);
  const started = performance.now();
  let draw = -1;
  let phaseStart = 0;
  let progress = 0;
  try {
    const { labels, iterations } = await driveBlindRun(csp, wire, async (order, steps) => {
      if (order.kind === "seeds") {
        draw++;
        phaseStart = steps;
      } else if (order.kind === "aggregate" && order.typical && draw < DRAWS) {
        // the first step with typicality scales: the possibilistic phase has begun
        draw = DRAWS;
        phaseStart = steps;
      }
      progress = Math.max(progress, blindProgress(order.kind, Math.max(draw, 0), steps - phaseStart));
      times.csp = performance.now() - started - times.keyHolder;
      const row = await beat(mine, { iteration: steps, progress, cspMs: times.csp, keyHolderMs: times.keyHolder });
      if (row.cancelRequested) throw new RunCancelled();
    });
    times.csp = performance.now() - started - times.keyHolder;
    return { labels, iterations, times, traffic: { ...csp.traffic } };
  } finally {
    csp.dispose();
    for (const ct of blocks.flat()) ct.delete();
    side.dispose();
  }
}
