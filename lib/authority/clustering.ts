import "server-only";
import { db, type Tx } from "@/lib/db/client";
import { NumberList, fromJson } from "@/lib/db/json";
import { seal, unseal } from "./seal";

/**
 * What the key holder keeps of a run: aggregates only (final centers k x p, their mass, the
 * run's units), sealed at rest, and its convergence trace. The CSP holds the ciphertexts, so
 * these decryptions must never reach it (key-recovery attacks on CKKS decryptions, Li &
 * Micciancio 2021). No per-record value is kept (issue #14): the records' distances, which the
 * key holder still decrypts each iteration of today's protocol, are not stored.
 */
export const runSecretAad = (runId: string, what: "centers" | "mass" | "reference") => `medshare-run-secret:${runId}:${what}`;

const bytesOf = (a: Float64Array) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
const floatsOf = (b: Uint8Array) => new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/**
 * `mass` (k): each center's weight, sum of memberships over the points the run saw (a later run
 * extending this one weighs the centers by it).
 */
export async function storeRunSecrets(
  tx: Tx,
  runId: string,
  s: {
    k: number;
    n: number;
    p: number;
    centers: Float64Array;
    mass: Float64Array;
    reference: { mean: Float64Array; sd: Float64Array } | null;
  },
) {
  if (s.centers.length !== s.k * s.p || s.mass.length !== s.k) throw new RangeError("run secrets: sizes do not match k, p");
  await tx.runSecret.create({
    data: {
      runId,
      k: s.k,
      n: s.n,
      p: s.p,
      sealedCenters: seal(bytesOf(s.centers), runSecretAad(runId, "centers")),
      sealedMass: seal(bytesOf(s.mass), runSecretAad(runId, "mass")),
      sealedReference: s.reference ? seal(bytesOf(Float64Array.from([...s.reference.mean, ...s.reference.sd])), runSecretAad(runId, "reference")) : null,
    },
  });
}

/** The authority's view of a finished run (admins only: callers check the role). */
export async function openRunSecrets(runId: string) {
  const row = await db().runSecret.findUnique({ where: { runId } });
  if (!row) return null;
  return {
    k: row.k,
    n: row.n,
    p: row.p,
    centers: floatsOf(unseal(row.sealedCenters, runSecretAad(runId, "centers"))),
    /** null: the run predates incremental clustering. */
    mass: row.sealedMass ? floatsOf(unseal(row.sealedMass, runSecretAad(runId, "mass"))) : null,
    /** The run's normalisation; null: the run predates run-wide units (its uploads' own z-scores). */
    reference: row.sealedReference ? referenceOf(floatsOf(unseal(row.sealedReference, runSecretAad(runId, "reference"))), row.p) : null,
  };
}

const referenceOf = (v: Float64Array, p: number) => ({ mean: v.slice(0, p), sd: v.slice(p, 2 * p) });

/** The key holder's trace: the objective it decrypted at each iteration so far (written each iteration by the key holder, lib/authority/run-key-holder.ts). */
export async function recordRunTrace(runId: string, objective: number[]) {
  const value = objective.map((J) => Number(J.toPrecision(8)));
  await db().runTrace.upsert({ where: { runId }, create: { runId, objective: value }, update: { objective: value } });
}

/** The trace so far ([]: none yet); admins only (callers check the role). */
export async function runTrace(runId: string): Promise<number[]> {
  const row = await db().runTrace.findUnique({ where: { runId }, select: { objective: true } });
  return row ? fromJson(NumberList, row.objective, "run_traces.objective") : [];
}

/** A run restarted from scratch (recoverRuns) starts a new trace. */
export async function clearRunTrace(runId: string) {
  await db().runTrace.deleteMany({ where: { runId } });
}
