import "server-only";
import { db, type Tx } from "@/lib/db/client";
import { seal, unseal } from "./seal";

/**
 * What the key holder learns in a run (final centers k x p, distances k x n), sealed at rest:
 * the CSP holds the ciphertexts, so these decryptions must never reach it (key-recovery
 * attacks on CKKS decryptions, Li & Micciancio 2021).
 */
export const runSecretAad = (runId: string, what: "centers" | "distances" | "mass" | "reference") => `medshare-run-secret:${runId}:${what}`;

const bytesOf = (a: Float64Array) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
const floatsOf = (b: Uint8Array) => new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

/**
 * `mass` (k): each center's weight, sum of memberships over the points the run saw (a later run
 * extending this one weighs the centers by it). `distances`: k x n, the records this run labelled.
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
    distances: Float64Array;
    reference: { mean: Float64Array; sd: Float64Array } | null;
  },
) {
  if (s.centers.length !== s.k * s.p || s.mass.length !== s.k || s.distances.length !== s.k * s.n)
    throw new RangeError("run secrets: sizes do not match k, n, p");
  await tx.runSecret.create({
    data: {
      runId,
      k: s.k,
      n: s.n,
      p: s.p,
      sealedCenters: seal(bytesOf(s.centers), runSecretAad(runId, "centers")),
      sealedDistances: seal(bytesOf(s.distances), runSecretAad(runId, "distances")),
      sealedMass: seal(bytesOf(s.mass), runSecretAad(runId, "mass")),
      sealedReference: s.reference ? seal(bytesOf(Float64Array.from([...s.reference.mean, ...s.reference.sd])), runSecretAad(runId, "reference")) : null,
    },
  });
}

/** The authority's view of a finished run (admins only: callers check the role). */
export async function openRunSecrets(runId: string, what: { distances?: boolean } = {}) {
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
    distances: what.distances ? floatsOf(unseal(row.sealedDistances, runSecretAad(runId, "distances"))) : null,
  };
}

const referenceOf = (v: Float64Array, p: number) => ({ mean: v.slice(0, p), sd: v.slice(p, 2 * p) });
