import "server-only";
import { ckksPublicKeysById, keyHolderFor } from "@/lib/authority/ckks";
import { clearRunTrace, openRunSecrets, recordRunTrace } from "@/lib/authority/clustering";
import { runSeedFor } from "@/lib/authority/run-seed";
import { nodeCkks } from "@/lib/ckks/node";
import { loadEncryptedFeatures } from "@/lib/csp/features";
import { db } from "@/lib/db/client";
import { StringList, fromJson } from "@/lib/db/json";
import {
  chunkOf,
  resolveHopcmOptions,
  incrementalOptions,
  runHopcmAsync,
  runUnits,
  unitsNormBound,
  withPrototypes,
  type AsyncHopcmBackend,
  type UploadUnits,
  type HopcmModel,
  type HopcmOptions,
  type HopcmResult,
} from "@/lib/hopcm";
import {
  createCspEvaluator,
  cspEvalKeys,
  cspPrepare,
  disposeCspEvaluator,
  disposeDataset,
  MAX_FEATURE_SCALE,
  type Ckks,
  type CspDataset,
  type CspEvaluator,
  type KeyHolder,
} from "@/lib/hopcm/encrypted";
import { appendCspAudit } from "@/lib/ledger/append";
import { BLIND_PARAMS_ID } from "@/lib/hopcm/encrypted/blind/keys";
import { runBlindProtocol } from "./blind";
import { fcmObjective, multiUploadBackend, observed, type RunTimes } from "./backend";
import { runProgress } from "./progress";
import { beat, RunCancelled, RunSuperseded } from "./heartbeat";
import { storeResult, type Reference } from "./result";

/**
 * Processing one clustering run: HoPCM on the CKKS-encrypted features of one or more uploads
 * (DESIGN.md "Clustering"). The job runs the CSP (evaluation keys, ciphertexts) and the key
 * holder (the authority's secret key, unsealed for the run) in this process, each through its
 * own module; only labels and rounded typicalities reach the CSP's tables, centers and distances
 * are sealed in the authority's (./result.ts). Runs are started and cancelled in two steps, one
 * per party (the authority: ./start.ts, ./cancel.ts; the CSP: ./csp/start.ts, ./csp/cancel.ts);
 * the worker (./worker.ts) calls this for each job, and ./recover.ts re-queues interrupted runs.
 *
 * Incremental runs (DESIGN.md, Bu et al. 2021): a run may extend a finished base run with new
 * uploads. It reads only the added uploads' ciphertexts; the key holder brings the base run's
 * centers (sealed in its tables) as k extra points weighted by their mass (lib/hopcm
 * `withPrototypes`), and the run starts from them, so cluster identities carry over. The base
 * run's records keep their labels (copied, not recomputed: old data is not re-read); the new
 * run covers the base run's uploads plus the added ones and can itself be extended.
 */

/**
 * HoPCM options of a run (the plaintext reference with the same options gives the same labels).
 * `seed` is the run's secret k-means++ seed (lib/authority/run-seed): never a constant.
 */
export const runOptions = (k: number, seed: number): HopcmOptions => ({ k, seed });

export type ProcessOutcome =
  | { status: "SUCCEEDED"; result: HopcmResult | null; labels: Int32Array; times: RunTimes }
  | { status: "CANCELLED" | "FAILED"; error?: string }
  | { status: "SKIPPED"; reason: string };

/**
 * Runs one clustering run to its end, synchronously (the pg-boss handler calls this; tests call
 * it directly). Claims the run (QUEUED -> RUNNING) first, so a duplicate job does nothing.
 */
export async function processRun(runId: string): Promise<ProcessOutcome> {
  const claim = await db().clusteringRun.findUnique({ where: { id: runId }, select: { status: true, attempts: true } });
  if (!claim) return { status: "SKIPPED", reason: "no such run" };
  const attempt = claim.attempts + 1;
  const claimed = await db().clusteringRun.updateMany({
    where: { id: runId, status: "QUEUED", attempts: claim.attempts },
    data: { status: "RUNNING", attempts: attempt, startedAt: new Date(), heartbeatAt: new Date(), iteration: 0, progress: 0, error: null },
  });
  if (claimed.count !== 1) return { status: "SKIPPED", reason: `run is ${claim.status}` };
  const mine = { id: runId, attempts: attempt, status: "RUNNING" as const };
  await clearRunTrace(runId); // an earlier attempt's trace
  const run = await db().clusteringRun.findUniqueOrThrow({ where: { id: runId } });

  let keyHolder: KeyHolder | null = null;
  let csp: CspEvaluator | null = null;
  const datasets: CspDataset[] = [];
  try {
    const addedIds = fromJson(StringList, run.addedUploadIds, "clustering_runs.added_upload_ids");
    const features = await loadEncryptedFeatures(addedIds);
    const keyId = features[0].keyId;
    if (features.some((f) => f.keyId !== keyId)) throw new Error("the uploads were encrypted under different clustering keys");
    if (features.some((f) => JSON.stringify(f.columns) !== JSON.stringify(run.columns)))
      throw new Error("an upload's feature columns changed since the run was started");
    if (features.some((f) => f.paramsId === BLIND_PARAMS_ID)) {
      // The blind protocol (./blind.ts): the key holder is the authority's service; this process holds no secret key.
      if (features.some((f) => f.paramsId !== BLIND_PARAMS_ID) || run.baseRunId) throw new Error("a blind run clusters blind uploads only, from scratch");
      const blind = await runBlindProtocol(mine, run, features);
      await storeResult(mine, run, {
        offsets: features.map((_, u) => features.slice(0, u).reduce((t, f) => t + f.n, 0)),
        uploadIds: features.map((f) => f.uploadId),
        result: null,
        iterations: blind.iterations,
        converged: true,
        labels: blind.labels,
        typicality: null,
        times: blind.times,
        reference: null,
      });
      return { status: "SUCCEEDED", result: null, labels: blind.labels, times: blind.times };
    }
    const ckks = await nodeCkks();
    // Authority side: the key holder (secret key unsealed for this run only) and, for an
    // extension, the base run's centers and their mass (sealed in the authority's tables).
    keyHolder = (await keyHolderFor(keyId)).keyHolder;
    const base = run.baseRunId ? await baseModel(run.baseRunId, run.k, run.p) : null;
    const prev = base ? { centers: base.centers, mass: base.mass } : null;
    const { units, reference } = unitsFor(ckks, keyHolder, features, run.p, base);
    // CSP side: evaluation keys only (public material the authority publishes).
    csp = createCspEvaluator(ckks, cspEvalKeys((await ckksPublicKeysById(keyId)).publicKeys));
    for (const f of features) datasets.push(cspPrepare(csp, f));
    await beat(mine, {});

    const records = multiUploadBackend({ ckks, keyHolder, csp, datasets }, { units });
    const coordinated: AsyncHopcmBackend = prev ? withPrototypes(records, prev) : records;
    const seed = await runSeedFor(run.id);
    const options = prev ? incrementalOptions(prev, records.n, runOptions(run.k, seed)) : runOptions(run.k, seed);
    const resolved = resolveHopcmOptions(options);
    // The convergence trace: the PFCM objective the possibilistic phase minimises, per iteration
    // (the coordinator's own; the FCM objective at m = 2 is the fallback for a driver without it).
    // The FCM initialisation before it starts over at each k-means++ draw, so it is not traced.
    const objective: number[] = [];
    let prevCenters: Float64Array | null = null;
    let progress = 0;
    let initUpdates = 0;
    const backend = observed(coordinated, async ({ centers, k, d2, weightedSums, stage }) => {
      if (weightedSums === 0 || !stage) return; // seeding, or the base run's centers
      if (stage.phase === "init") initUpdates = weightedSums;
      else objective[weightedSums - initUpdates - 1] = stage.objective ?? fcmObjective(d2, k, coordinated.n, options.pointWeights);
      if (prevCenters && prevCenters.length === centers.length) {
        let shift = 0;
        for (let i = 0; i < centers.length; i++) shift = Math.max(shift, Math.abs(centers[i] - prevCenters[i]));
        progress = Math.min(0.99, Math.max(progress, runProgress(stage, shift, resolved)));
      }
      prevCenters = Float64Array.from(centers);
      const row = await beat(mine, {
        iteration: weightedSums,
        progress,
        cspMs: records.times.csp,
        keyHolderMs: records.times.keyHolder,
      });
      // The trace goes to the key holder's own table (not the CSP's), once the beat has shown this attempt is still the run's.
      if (stage.phase !== "init") await recordRunTrace(run.id, objective);
      if (row.cancelRequested) throw new RunCancelled();
    });
    const result = await runHopcmAsync(backend, options);
    const own = prev ? chunkOf(result, prev.mass.length) : { labels: result.labels, typicality: result.typicality };
    await storeResult(mine, run, {
      offsets: records.offsets,
      uploadIds: features.map((f) => f.uploadId),
      result,
      iterations: result.iterations,
      converged: result.converged,
      labels: own.labels,
      typicality: own.typicality,
      times: records.times,
      reference,
    });
    return { status: "SUCCEEDED", result, labels: result.labels, times: { ...records.times } };
  } catch (error) {
    if (error instanceof RunSuperseded) return { status: "SKIPPED", reason: "taken over by another worker" };
    const cancelled = error instanceof RunCancelled;
    const reason = cancelled ? null : error instanceof Error ? error.message : String(error);
    if (!cancelled) console.error(`[jobs] clustering run ${runId} failed:`, error);
    await db().$transaction(async (tx) => {
      const changed = await tx.clusteringRun.updateMany({
        where: mine,
        data: { status: cancelled ? "CANCELLED" : "FAILED", error: reason, finishedAt: new Date() },
      });
      if (changed.count !== 1) return;
      await appendCspAudit(tx, {
        actorId: null,
        action: cancelled ? "CLUSTERING_RUN_CANCELLED" : "CLUSTERING_RUN_FAILED",
        subjectType: "clustering_run",
        subjectId: runId,
        data: cancelled ? { phase: "stopped" } : { reason: reason ?? "" },
      });
    });
    return cancelled ? { status: "CANCELLED" } : { status: "FAILED", error: reason ?? undefined };
  } finally {
    for (const d of datasets) disposeDataset(d);
    if (csp) disposeCspEvaluator(csp);
    keyHolder?.dispose();
  }
}

/** The base run's final centers, their mass and its units: the key holder's prototypes for an extension. */
async function baseModel(baseRunId: string, k: number, p: number): Promise<Pick<HopcmModel, "centers" | "mass"> & { reference: Reference | null }> {
  const secrets = await openRunSecrets(baseRunId);
  if (!secrets?.mass) throw new Error("the base run's centers and their mass are not available");
  if (secrets.k !== k || secrets.p !== p) throw new Error("the base run's centers do not match this run's k and features");
  return { centers: secrets.centers, mass: secrets.mass, reference: secrets.reference };
}

/**
 * Key holder: reads the uploads' column statistics (CKKS-encrypted by each browser) and fixes
 * the run's units (lib/hopcm units.ts): pooled over the uploads, or an extension's base run's.
 * Uploads sent before run-wide units existed have no statistics: such runs keep each upload's
 * own z-scores (units undefined), as before.
 */
function unitsFor(
  ckks: Ckks,
  keyHolder: KeyHolder,
  features: Array<{ uploadId: string; n: number; stats: Uint8Array | null }>,
  p: number,
  base: { reference: Reference | null } | null,
): { units: UploadUnits[] | undefined; reference: Reference | null } {
  if (features.some((f) => !f.stats) || (base && !base.reference)) return { units: undefined, reference: null };
  const stats = features.map((f) => {
    const ct = ckks.loadCiphertext(f.stats!);
    try {
      return { n: f.n, ...keyHolder.decryptColumnStats(ct, p) };
    } finally {
      ct.delete();
    }
  });
  const { units, reference } = runUnits(stats, base?.reference ?? undefined);
  units.forEach((u, i) => {
    // A record scaled to the run's units must stay within the CKKS parameters' norm bound.
    if (u.scale.some((a) => a > MAX_FEATURE_SCALE) || unitsNormBound(u, stats[i].maxNorm) > ckks.params.maxRecordNorm)
      throw new Error(`upload ${features[i].uploadId} is on too different a scale from the run's other data; cluster it separately`);
  });
  return { units, reference };
}
