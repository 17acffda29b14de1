import "server-only";
import { randomUUID } from "node:crypto";
import { ZodError } from "zod";
import { nodeCkks } from "@/lib/ckks/node";
import { db, type Db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http/error-response";
import { readBodyBytes } from "@/lib/http/read-body";
import { BODY_LIMITS } from "@/lib/gateway/limits";
import { BLIND_PARAMS_ID, blindKeyHolder, createBlindKeys } from "@/lib/hopcm/encrypted/blind/keys";
import { BlindKeyHolderSession, BlindProtocolError } from "@/lib/hopcm/encrypted/blind/session";
import { logPublicKey } from "@/lib/ledger/log-keys";
import { appendAudit } from "@/lib/ledger/append";
import { blindCalls, blindTokenOp, isBlindCall, type BlindCall } from "@/lib/parties/blind-wire";
import { hexKey, PartyTokenError, verifyPartyToken } from "@/lib/parties/token";
import { isRunCall, runTokenOp, type RunCall } from "@/lib/parties/run-kh-wire";
import { fromWireBody, toWireBody } from "@/lib/parties/wire";
import { RunProtocolError, runKeyHolderCall, sweepRunSessions } from "./run-key-holder";
import { openRunSeed } from "./run-seed";
import { seal, unseal } from "./seal";

/**
 * The clustering key holder of the blind protocol as the authority's service (issue #14, on #12's
 * boundary): POST /api/key-holder/<call>, each call signed by the CSP for one run. It holds the
 * deployment's blind CKKS key pair (made on first need, the secret key sealed under the KEK in
 * `authority.ckks_keys`, tagged BLIND_PARAMS_ID) and one session per run in this process's memory:
 * the controller (lib/hopcm/blind.ts) and the secret key's tools. The CSP's driver asks it what
 * to compute and sends masked sums (lib/hopcm/encrypted/blind/session.ts); nothing it decrypts
 * leaves this process. A session lost to a restart is refused with 409: the CSP begins again.
 */
const BLIND_KEY_LOCK = 727277;
/** A run waits at most this long between two calls before its session is dropped. */
const SESSION_IDLE_MS = 15 * 60_000;
/** Clusters a run may ask for. */
const MAX_K = 20;
/** Runs served at once (each session holds a secret key's tools in the WebAssembly heap). */
const MAX_SESSIONS = 8;

type Live = { session: BlindKeyHolderSession; dispose(): void; touched: number };
type State = { sessions: Map<string, Live>; nonces: Map<string, number>; keys?: BlindPublicKeys };
const globalForKh = globalThis as unknown as { medshareBlindKh?: State };
const state = (): State => (globalForKh.medshareBlindKh ??= { sessions: new Map(), nonces: new Map() });

export type BlindPublicKeys = { keyId: string; publicKey: Uint8Array; relinKeys: Uint8Array };

/**
 * The deployment's blind key pair's public material (public key for hospitals, relinearisation keys
 * for the CSP); made on first call, then kept in this process (every run's `begin` and every GET ask for it).
 */
export async function blindPublicKeys(): Promise<BlindPublicKeys> {
  const kept = state().keys;
  if (kept) return kept;
  const row = await db().$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BLIND_KEY_LOCK})`;
      const found = await activeBlindKey(tx);
      if (found) return found;
      const keys = createBlindKeys((await nodeCkks()).seal);
      const id = randomUUID();
      try {
        const made = await tx.ckksKey.create({
          data: {
            id,
            paramsId: BLIND_PARAMS_ID,
            publicKey: new Uint8Array(keys.publicKey),
            relinKeys: new Uint8Array(keys.relinKeys),
            galoisKeys: new Uint8Array(0), // the blind protocol needs no rotations
            rotationSteps: [],
            sealedSecretKey: seal(keys.secretKey, blindSecretAad(id)),
          },
        });
        await appendAudit(tx, { actorId: null, action: "CKKS_KEYS_CREATED", subjectType: "ckks_key", subjectId: id, data: { paramsId: BLIND_PARAMS_ID } });
        return made;
      } finally {
        keys.secretKey.fill(0);
      }
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
  return (state().keys = { keyId: row.id, publicKey: new Uint8Array(row.publicKey), relinKeys: new Uint8Array(row.relinKeys) });
}

/** The blind key pair's id, if the deployment has made one (never makes one: uploads under it exist only once it does). */
export async function activeBlindKeyId(): Promise<string | null> {
  const kept = state().keys;
  if (kept) return kept.keyId;
  return (await activeBlindKey(db()))?.id ?? null;
}

/** The deployment's active blind key pair's row (null: none made yet). */
const activeBlindKey = (q: Pick<Db, "ckksKey">) => q.ckksKey.findFirst({ where: { active: true, paramsId: BLIND_PARAMS_ID }, orderBy: { createdAt: "desc" } });

const blindSecretAad = (keyId: string) => `medshare-blind-ckks-secret:${keyId}`;

/**
 * A new session for a run the authority started (its seed sealed in authority.run_seeds by
 * lib/clustering/start.ts): the active key's secret unsealed into the session's tools only. The
 * CSP cannot begin a run of its own over an upload nobody asked to cluster.
 */
async function openSession(runId: string, k: number): Promise<Live> {
  // the seeding draws are the key holder's: the run's sealed seed (the CSP learns the drawn indices, not the seed; a restarted run draws the same)
  const seed = await openRunSeed(runId);
  if (seed === null) throw new BlindProtocolError("the authority started no clustering run with this id");
  // once answered, a run's labels are not computed again: a CSP beginning it anew would get a second view
  if (await db().auditEntry.findFirst({ where: { action: "CLUSTERING_KEY_HOLDER_FINISHED", subjectId: runId }, select: { seq: true } }))
    throw new BlindProtocolError("this run is over: the key holder answered its labels already");
  const { keyId, publicKey } = await blindPublicKeys();
  const row = await db().ckksKey.findUniqueOrThrow({ where: { id: keyId }, select: { sealedSecretKey: true } });
  const secret = unseal(new Uint8Array(row.sealedSecretKey), blindSecretAad(keyId));
  let tools: ReturnType<typeof blindKeyHolder>;
  try {
    tools = blindKeyHolder((await nodeCkks()).seal, secret, publicKey);
  } finally {
    secret.fill(0);
  }
  const session = new BlindKeyHolderSession(tools.keyHolder, tools.io, tools.slots, { k, seed });
  const live = { session, dispose: tools.dispose, touched: Date.now() };
  const sessions = state().sessions;
  if (!sessions.has(runId) && sessions.size >= MAX_SESSIONS) {
    tools.dispose();
    throw new AppError("UNAVAILABLE", `The key holder is serving ${MAX_SESSIONS} runs; try again when one has finished.`);
  }
  sessions.get(runId)?.dispose(); // a run begun again (its worker restarted) starts over
  sessions.set(runId, live);
  return live;
}

function sweep(now: number) {
  const { sessions, nonces } = state();
  for (const [runId, live] of sessions)
    if (now - live.touched > SESSION_IDLE_MS) {
      live.dispose();
      sessions.delete(runId);
    }
  for (const [nonce, exp] of nonces) if (exp * 1000 < now - 120_000) nonces.delete(nonce);
}

/** A token's nonce is good once (kept in memory: the key holder's sessions live in this one process anyway). */
function spendNonce(nonce: string, exp: number) {
  const { nonces } = state();
  if (nonces.has(nonce)) throw new PartyTokenError("replayed", "This party token was already used: a replayed call is refused.");
  nonces.set(nonce, exp);
}

async function call(op: BlindCall, runId: string, input: unknown): Promise<unknown> {
  const { sessions } = state();
  if (op === "begin") {
    const start = blindCalls.begin.request.parse(input);
    if (start.k < 2 || start.k > MAX_K) throw new BlindProtocolError(`a run has 2 to ${MAX_K} clusters`);
    const live = await openSession(runId, start.k);
    return live.session.begin(start);
  }
  const live = sessions.get(runId);
  if (!live) throw new AppError("CONFLICT", "The key holder has no session for this run (it may have restarted): begin the run again.");
  live.touched = Date.now();
  const { session } = live;
  let result: unknown;
  switch (op) {
    case "answer": {
      const { out, maskSums, records, first } = blindCalls.answer.request.parse(input);
      result = session.answer({ out, maskSums, records }, first) ?? { kind: "more" };
      break;
    }
    case "finish":
      blindCalls.finish.request.parse(input);
      result = session.finish();
      break;
    case "refresh": {
      const { masked, records } = blindCalls.refresh.request.parse(input);
      result = { fresh: session.refresh(masked, records) };
      break;
    }
    case "broadcastSums": {
      const { masked, records } = blindCalls.broadcastSums.request.parse(input);
      result = { sums: session.broadcastSums(masked, records) };
      break;
    }
    case "labels": {
      const { signs, k, records } = blindCalls.labels.request.parse(input);
      result = { smallest: Array.from(session.labels(signs, k, records)) };
      break;
    }
  }
  if (session.result) {
    // the run is over: its session and secret key's tools go, and the authority's log says so (it cannot be begun again)
    const steps = session.result.iterations;
    const sizes = session.sizes;
    live.dispose();
    sessions.delete(runId);
    await db().$transaction((tx) =>
      appendAudit(tx, {
        actorId: null,
        action: "CLUSTERING_KEY_HOLDER_FINISHED",
        subjectType: "clustering_run",
        subjectId: runId,
        data: { steps, n: sizes?.n ?? 0, k: sizes?.k ?? 0 },
      }),
    );
  }
  return result;
}

/**
 * One call of the CSP on the key holder (the blind protocol's calls, or the standard protocol's
 * `run-*` calls of ./run-key-holder.ts): `Authorization: Bearer <party token>` issued by the CSP
 * (its log key, which the authority knows as MEDSHARE_CSP_LOG_PUBLIC_KEY), for the key holder,
 * this call and this run, unexpired and unused; the body in the parties' wire format.
 */
export async function serveKeyHolderCall(req: Request, op: string): Promise<Response> {
  try {
    const blind = isBlindCall(op);
    if (!blind && !isRunCall(op)) throw new AppError("NOT_FOUND", `The key holder has no call "${op}".`);
    sweep(Date.now());
    sweepRunSessions(Date.now());
    const bearer = /^Bearer (\S+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
    if (!bearer) throw new PartyTokenError("malformed", "A call on the key holder needs the CSP's token (Authorization: Bearer …).");
    const cspKey = logPublicKey("csp");
    if (!cspKey) throw new AppError("UNAVAILABLE", "The key holder does not know the CSP's public key (MEDSHARE_CSP_LOG_PUBLIC_KEY).");
    const claims = verifyPartyToken(bearer, hexKey(cspKey, "MEDSHARE_CSP_LOG_PUBLIC_KEY"), {
      aud: "kh",
      op: blind ? blindTokenOp(op) : runTokenOp(op as RunCall),
      iss: "csp",
    });
    if (!claims.res || !/^[0-9a-f-]{36}$/.test(claims.res)) throw new PartyTokenError("wrong-scope", "The party token names no run.");
    let input: unknown;
    try {
      input = fromWireBody(await readBodyBytes(req, BODY_LIMITS.keyHolderCall), req.headers.get("content-type"));
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError("VALIDATION", "The call's body is not a valid wire body.");
    }
    spendNonce(claims.nonce, claims.exp);
    const { body, contentType } = toWireBody(blind ? await call(op, claims.res, input) : await runKeyHolderCall(op as RunCall, claims.res, input));
    return new Response(body, { headers: { "Content-Type": contentType, "Cache-Control": "no-store, no-transform" } });
  } catch (error) {
    if (error instanceof PartyTokenError)
      return Response.json(
        { error: { code: "UNAUTHENTICATED", message: `The key holder refused the call: ${error.message}`, reason: error.reason } },
        { status: 401 },
      );
    if (error instanceof ZodError)
      return Response.json(
        { error: { code: "VALIDATION", message: error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") } },
        { status: 422 },
      );
    if (error instanceof BlindProtocolError || error instanceof RunProtocolError)
      return Response.json({ error: { code: "CONFLICT", message: error.message } }, { status: 409 });
    return errorResponse(error);
  }
}
