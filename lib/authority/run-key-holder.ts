import "server-only";
import { randomBytes } from "node:crypto";
import { fcmObjective, multiUploadBackend, observed, runOptions, type CspPort } from "@/lib/clustering/backend";
import { runProgress } from "@/lib/clustering/progress";
import { summarizeTypicality } from "@/lib/clustering/typicality";
import { nodeCkks } from "@/lib/ckks/node";
import { db } from "@/lib/db/client";
import {
  chunkOf,
  incrementalOptions,
  resolveHopcmOptions,
  runHopcmAsync,
  runUnits,
  unitsNormBound,
  withPrototypes,
  type AsyncHopcmBackend,
  type HopcmModel,
} from "@/lib/hopcm";
import { blocksOf, classLayout, MAX_FEATURE_SCALE, savedCiphertexts, type Ckks, type CipherText, type KeyHolder } from "@/lib/hopcm/encrypted";
import { runCalls, type RunCall, type RunOrder } from "@/lib/parties/run-kh-wire";
import { ckksPublicKeysById, keyHolderFor } from "./ckks";
import { clearRunTrace, openRunSecrets, recordRunTrace, storeRunSecrets } from "./clustering";
import { openRunSeed } from "./run-seed";

/**
 * The clustering key holder of the standard protocol as the authority's service (issue #12): the
 * secret key, the coordinator (lib/hopcm runHopcmAsync) and everything the key holder decrypts
 * (distances, sums, column statistics) stay in this process; the CSP's worker holds the
 * ciphertexts and evaluation keys only. Per run a session in this process's memory runs the
 * coordinator over a `CspPort` whose calls become *orders* to the CSP (lib/parties/run-kh-wire.ts):
 * the CSP begins the run, then answers each order with its ciphertexts and gets the next one, the
 * last being "done" with the labels and the typicality aggregates. The run's centers, mass and
 * units are sealed in authority.run_secrets before "done" is sent; its convergence trace goes to
 * authority.run_traces as it grows. Served by lib/authority/blind-key-holder.ts's route with the
 * same party tokens.
 */

export class RunProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunProtocolError";
  }
}

type Deferred<T> = { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void };
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  promise.catch(() => {}); // a rejection nobody waits for (the CSP went away) is not an unhandled one
  return { promise, resolve, reject };
}

type Beat = { iteration: number; progress: number; keyHolderMs: number };
type Order = Exclude<RunOrder, { kind: "done" }>;

/**
 * One run's session: the coordinator runs as a task of its own; each CSP operation it needs is
 * an order the CSP fetches (`next`) and answers (`answer`), in turn. Nothing else is shared.
 */
export class RunKeyHolderSession {
  /** This attempt's name (run-kh-wire `session`): calls of an earlier attempt of the run are refused. */
  readonly id = randomBytes(16).toString("hex");
  private next = deferred<RunOrder>();
  private pending: { expect: number; reply: Deferred<Uint8Array[]> } | null = null;
  private received: Uint8Array[] = [];
  private closed = false;
  beat: Beat | undefined;
  touched = Date.now();
  finished = false;

  /** The order the coordinator asks for next (or "done", or its failure). */
  order(): Promise<RunOrder> {
    return this.next.promise;
  }

  /** Runs the key holder's task; its end is the "done" order. */
  start(task: (session: RunKeyHolderSession) => Promise<RunOrder>) {
    task(this).then(
      (done) => {
        this.finished = true;
        this.next.resolve(done);
      },
      (error) => this.next.reject(error),
    );
  }

  /** Sends an order to the CSP and waits for its `expect` ciphertexts. */
  ask(order: Order, expect: number): Promise<Uint8Array[]> {
    if (this.closed) return Promise.reject(new RunProtocolError("the run was stopped"));
    const reply = deferred<Uint8Array[]>();
    this.pending = { expect, reply };
    this.received = [];
    this.next.resolve(this.beat ? { ...order, beat: this.beat } : order);
    return reply.promise;
  }

  /** A part of the CSP's answer to the last order, from ciphertext `first` on: "more" until the last, then the next order. */
  answer(cts: Uint8Array[], first: number): "more" | Promise<RunOrder> {
    const pending = this.pending;
    if (!pending) throw new RunProtocolError("no order is waiting for an answer");
    if (first !== this.received.length)
      throw new RunProtocolError(`the answer's parts are out of order (part from ${first}, ${this.received.length} received)`);
    this.received.push(...cts);
    if (this.received.length > pending.expect) throw new RunProtocolError(`the order makes ${pending.expect} ciphertexts, the answer has more`);
    if (this.received.length < pending.expect) return "more";
    const got = this.received;
    this.pending = null;
    this.received = [];
    this.next = deferred();
    pending.reply.resolve(got);
    return this.next.promise;
  }

  /** Stops the task at its next order (the CSP cancelled, failed, or went away). */
  stop(reason: string) {
    this.closed = true;
    this.pending?.reply.reject(new RunProtocolError(reason));
    this.pending = null;
  }
}

/** The run the CSP's worker describes when it begins (run-kh-wire `run-begin`). */
export type RunStart = { k: number; p: number; keyId: string; baseRunId: string | null; uploads: Array<{ n: number; stats: Uint8Array | null }> };

/** Clusters a run may ask for (the start form offers 2..10). */
const MAX_K = 20;
const MAX_P = 512;

/**
 * The CSP's operations, as orders through the session: each message goes as bytes, each reply's
 * ciphertexts are loaded and checked by the key holder's decryption (level, scale, count).
 */
function remotePort(session: RunKeyHolderSession, ckks: Ckks, sizes: number[], p: number): CspPort {
  const blocks = (u: number) => blocksOf(sizes[u], ckks.slots).length;
  const bytes = (cts: CipherText[]) => savedCiphertexts(ckks, cts);
  const load = (got: Uint8Array[]) =>
    got.map((b) => {
      try {
        return ckks.loadCiphertext(b);
      } catch {
        throw new RunProtocolError("the CSP answered with bytes that are not ciphertexts of the run's parameters");
      }
    });
  return {
    sizes,
    p,
    async scale(u, scales) {
      await session.ask({ kind: "scale", upload: u, cts: bytes(scales.cts) }, 0);
    },
    async distances(u, centers) {
      const k = "point" in centers ? 1 : centers.k;
      const got =
        "point" in centers
          ? await session.ask({ kind: "pointDistances", upload: u, offset: centers.offset ? bytes(centers.offset.cts) : null }, blocks(u))
          : await session.ask({ kind: "distances", upload: u, k, cts: bytes(centers.cts) }, k * blocks(u));
      return { kind: "distances", k, blocks: blocks(u), cts: load(got) };
    },
    async sums(u, weights) {
      const { k, blocks: b, giant } = weights;
      const got = await session.ask({ kind: "sums", upload: u, k, blocks: b, giant, cts: bytes(weights.cts) }, k);
      return { kind: "sums", k, p, classes: classLayout(p, ckks.slots).classes, cts: load(got) };
    },
    async select(u, selector) {
      await session.ask(
        { kind: "select", upload: u, blocks: selector.blocks, ...(selector.columns ? { columns: selector.columns } : {}), cts: bytes(selector.cts) },
        0,
      );
    },
  };
}

/** The base run's final centers, their mass and its units: the key holder's prototypes for an extension. */
async function baseModel(baseRunId: string, k: number, p: number) {
  const secrets = await openRunSecrets(baseRunId);
  if (!secrets?.mass) throw new RunProtocolError("the base run's centers and their mass are not available");
  if (secrets.k !== k || secrets.p !== p) throw new RunProtocolError("the base run's centers do not match this run's k and features");
  return { centers: secrets.centers, mass: secrets.mass, reference: secrets.reference } satisfies Pick<HopcmModel, "centers" | "mass"> & {
    reference: unknown;
  };
}

/**
 * The run's units from the uploads' column statistics (encrypted by each browser): pooled over
 * the uploads, or an extension's base run's. Uploads sent before run-wide units existed have no
 * statistics: such runs keep each upload's own z-scores (units undefined).
 */
function unitsFor(ckks: Ckks, keyHolder: KeyHolder, start: RunStart, base: Awaited<ReturnType<typeof baseModel>> | null) {
  if (start.uploads.some((u) => !u.stats) || (base && !base.reference)) return { units: undefined, reference: null };
  const stats = start.uploads.map((u) => {
    let ct: CipherText;
    try {
      ct = ckks.loadCiphertext(u.stats!);
    } catch {
      throw new RunProtocolError("an upload's column statistics are not a ciphertext of the run's parameters");
    }
    try {
      return { n: u.n, ...keyHolder.decryptColumnStats(ct, start.p) };
    } finally {
      ct.delete();
    }
  });
  const { units, reference } = runUnits(stats, base?.reference ?? undefined);
  units.forEach((u, i) => {
    // A record scaled to the run's units must stay within the CKKS parameters' norm bound.
    if (u.scale.some((a) => a > MAX_FEATURE_SCALE) || unitsNormBound(u, stats[i].maxNorm) > ckks.params.maxRecordNorm)
      throw new RunProtocolError(`upload ${i + 1} of the run is on too different a scale from the run's other data; cluster it separately`);
  });
  return { units, reference };
}

/** Checks what the CSP says of a run before any key is unsealed for it. */
export function checkRunStart(start: RunStart) {
  if (start.k < 2 || start.k > MAX_K) throw new RunProtocolError(`a run has 2 to ${MAX_K} clusters`);
  if (start.p < 1 || start.p > MAX_P) throw new RunProtocolError(`a run has 1 to ${MAX_P} features`);
  if (start.uploads.some((u) => u.n < 1)) throw new RunProtocolError("every upload of a run has records");
}

/**
 * The key holder's whole run: unseal the key, fix the units, drive the coordinator through the
 * CSP's orders, seal the centers, answer the labels. Begun only for a run the authority started
 * (its seed sealed in authority.run_seeds by lib/clustering/start.ts).
 */
export async function keyHolderRun(runId: string, start: RunStart, session: RunKeyHolderSession): Promise<RunOrder> {
  const seed = await openRunSeed(runId);
  if (seed === null) throw new RunProtocolError("the authority started no clustering run with this id");
  const info = await ckksPublicKeysById(start.keyId).catch(() => {
    throw new RunProtocolError("the uploads were encrypted under a clustering key the key holder does not have");
  });
  const ckks = await nodeCkks();
  if (info.publicKeys.paramsId !== ckks.id) throw new RunProtocolError("the run's clustering key is not of the standard protocol");
  const { keyHolder } = await keyHolderFor(start.keyId);
  try {
    await clearRunTrace(runId); // an earlier attempt's trace
    const { k, p } = start;
    const base = start.baseRunId ? await baseModel(start.baseRunId, k, p) : null;
    const prev = base ? { centers: base.centers, mass: base.mass } : null;
    const { units, reference } = unitsFor(ckks, keyHolder, start, base);
    const sizes = start.uploads.map((u) => u.n);
    const records = multiUploadBackend({ ckks, keyHolder, port: remotePort(session, ckks, sizes, p) }, { units });
    await records.prepare();
    const coordinated: AsyncHopcmBackend = prev ? withPrototypes(records, prev) : records;
    const options = prev ? incrementalOptions(prev, records.n, runOptions(k, seed)) : runOptions(k, seed);
    const resolved = resolveHopcmOptions(options);
    // The convergence trace: the PFCM objective the possibilistic phase minimises, per iteration
    // (the FCM objective at m = 2 for a coordinator that gives none). The FCM initialisation starts
    // over at each k-means++ draw, so it is not traced.
    const objective: number[] = [];
    let prevCenters: Float64Array | null = null;
    let progress = 0;
    let initUpdates = 0;
    const backend = observed(coordinated, async ({ centers, k: kk, d2, weightedSums, stage }) => {
      session.touched = Date.now();
      if (weightedSums === 0 || !stage) return; // seeding, or the base run's centers
      if (stage.phase === "init") initUpdates = weightedSums;
      else objective[weightedSums - initUpdates - 1] = stage.objective ?? fcmObjective(d2, kk, coordinated.n, options.pointWeights);
      if (prevCenters && prevCenters.length === centers.length) {
        let shift = 0;
        for (let i = 0; i < centers.length; i++) shift = Math.max(shift, Math.abs(centers[i] - prevCenters[i]));
        progress = Math.min(0.99, Math.max(progress, runProgress(stage, shift, resolved)));
      }
      prevCenters = Float64Array.from(centers);
      session.beat = { iteration: weightedSums, progress, keyHolderMs: records.times.keyHolder };
      if (stage.phase !== "init") await recordRunTrace(runId, objective);
    });
    const result = await runHopcmAsync(backend, options);
    const own = prev ? chunkOf(result, prev.mass.length) : { labels: result.labels, typicality: result.typicality };
    const typicality = summarizeTypicality(own.labels, own.typicality, k);
    await db().$transaction(async (tx) => {
      await tx.runSecret.deleteMany({ where: { runId } }); // an earlier attempt's
      await storeRunSecrets(tx, runId, { k, n: records.n, p, centers: result.centers, mass: result.mass, reference });
    });
    const labels = new Uint8Array(own.labels.buffer.slice(own.labels.byteOffset, own.labels.byteOffset + own.labels.byteLength));
    return { kind: "done", labels, typicality, iterations: result.iterations, converged: result.converged, keyHolderMs: records.times.keyHolder };
  } finally {
    keyHolder.dispose();
  }
}

/** A run waits at most this long between two calls before its session is dropped. */
const SESSION_IDLE_MS = 15 * 60_000;
/** Runs served at once (each session holds a secret key's tools in the WebAssembly heap). */
const MAX_SESSIONS = 8;

const globalForRuns = globalThis as unknown as { medshareRunKh?: Map<string, RunKeyHolderSession> };
const sessions = () => (globalForRuns.medshareRunKh ??= new Map());

/** Drops sessions the CSP left idle (a worker that died mid-run): their tasks stop and free their keys. */
export function sweepRunSessions(now: number) {
  for (const [runId, session] of sessions())
    if (now - session.touched > SESSION_IDLE_MS) {
      session.stop("the CSP left the run idle");
      sessions().delete(runId);
    }
}

/**
 * One call of the CSP's worker on the standard protocol's key holder for run `runId` (the
 * caller has checked the CSP's token for this run and op): begin (a run begun again starts
 * over), answer the last order, or abort. Errors of the protocol are RunProtocolError (409).
 */
export async function runKeyHolderCall(op: RunCall, runId: string, input: unknown): Promise<unknown> {
  const all = sessions();
  if (op === "run-begin") {
    const start = runCalls["run-begin"].request.parse(input);
    checkRunStart(start);
    all.get(runId)?.stop("the run was begun again");
    if (!all.has(runId) && all.size >= MAX_SESSIONS)
      throw new RunProtocolError(`the key holder is serving ${MAX_SESSIONS} runs; try again when one has finished`);
    const session = new RunKeyHolderSession();
    all.set(runId, session);
    session.start((s) => keyHolderRun(runId, start, s));
    return { session: session.id, order: await settle(runId, session, session.order()) };
  }
  // the body's shape first (a 422 whatever the session's state), then the session
  const answer = op === "run-answer" ? runCalls["run-answer"].request.parse(input) : null;
  const named = answer?.session ?? runCalls["run-abort"].request.parse(input).session;
  const session = all.get(runId);
  if (!session) throw new RunProtocolError("the key holder has no session for this run (it may have restarted): begin the run again");
  // an attempt the run has left (taken over by another worker) neither feeds nor stops the current one
  if (session.id !== named) throw new RunProtocolError("another attempt of this run began since: this one is over");
  session.touched = Date.now();
  if (!answer) {
    session.stop("the CSP stopped the run");
    all.delete(runId);
    return {};
  }
  const next = session.answer(answer.cts, answer.first);
  return next === "more" ? { kind: "more" } : settle(runId, session, next);
}

/** The next order; the session goes once it has sent "done" or failed. */
async function settle(runId: string, session: RunKeyHolderSession, next: Promise<RunOrder>): Promise<RunOrder> {
  try {
    const order = await next;
    if (order.kind === "done" && sessions().get(runId) === session) sessions().delete(runId);
    return order;
  } catch (error) {
    if (sessions().get(runId) === session) sessions().delete(runId);
    throw error instanceof RunProtocolError || error instanceof RangeError ? new RunProtocolError(error.message) : error;
  }
}
