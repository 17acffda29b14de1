import { z } from "zod";
import { TypicalitySummary } from "@/lib/clustering/typicality";

/**
 * The standard clustering protocol between the CSP's worker (the caller) and the key holder (the
 * authority's service, lib/authority/run-key-holder.ts), issue #12: the key holder runs the
 * coordinator with the secret key and sends the CSP *orders*, one operation on one upload's
 * ciphertexts each (lib/clustering/backend.ts `CspPort`); the CSP's worker carries them out and
 * answers with the resulting ciphertexts. One POST per call to /api/key-holder/<op>, in the
 * parties' wire format, each with a token the CSP signs for this run and this op. Defined once,
 * for both sides: the key holder serves them, lib/parties/run-kh-client.ts calls them.
 */
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: "expected bytes" });
const count = z
  .number()
  .int()
  .min(0)
  .max(1 << 24);
const cts = z.array(bytes).max(65_536);

/** What the CSP shows on the run's progress bar, sent along with an order. */
const beat = z.strictObject({ iteration: count, progress: z.number().min(0).max(1), keyHolderMs: z.number().min(0) });

export const runOrder = z.discriminatedUnion("kind", [
  /** cspScaleFeatures(upload, EncScales of p ciphertexts). */
  z.strictObject({ kind: z.literal("scale"), upload: count, cts, beat: beat.optional() }),
  /** cspDistances(upload, EncCenters of k x p ciphertexts). */
  z.strictObject({ kind: z.literal("distances"), upload: count, k: count, cts, beat: beat.optional() }),
  /** cspDistances(upload, the selected record, moved by `offset` when it is given (cspAddCenters)). */
  z.strictObject({ kind: z.literal("pointDistances"), upload: count, offset: cts.nullable(), beat: beat.optional() }),
  /** cspWeightedSums(upload, EncWeights). */
  z.strictObject({ kind: z.literal("sums"), upload: count, k: count, blocks: count, giant: count, cts, beat: beat.optional() }),
  /** cspSelectPoint(upload, EncSelector): the CSP keeps the selected record for the next pointDistances. */
  z.strictObject({ kind: z.literal("select"), upload: count, blocks: count, columns: count.optional(), cts, beat: beat.optional() }),
  /** The run's end: each record's label (Int32, little-endian, the run's own records in order), the typicality aggregates. */
  z.strictObject({
    kind: z.literal("done"),
    labels: bytes,
    typicality: TypicalitySummary.nullable(),
    iterations: count,
    converged: z.boolean(),
    keyHolderMs: z.number().min(0),
  }),
]);
export type RunOrder = z.infer<typeof runOrder>;
export type RunOrderKind = RunOrder["kind"];

/** Names one attempt's session: a run begun again (its worker restarted, another took it over) gets a new one, and the old attempt's calls are refused. */
const session = z.string().regex(/^[0-9a-f]{32}$/);

export const runCalls = {
  /** A run the authority started: its sizes (records per upload, their column statistics as the browsers encrypted them). */
  "run-begin": {
    request: z.strictObject({
      k: count,
      p: count,
      keyId: z.uuid(),
      baseRunId: z.uuid().nullable(),
      uploads: z
        .array(z.strictObject({ n: count, stats: bytes.nullable() }))
        .min(1)
        .max(64),
    }),
    response: z.strictObject({ session, order: runOrder }),
  },
  /** The last order's ciphertexts, in parts of a few MiB from ciphertext `first` on: "more" until the last part, then the next order. */
  "run-answer": {
    request: z.strictObject({ session, cts, first: count }),
    response: z.union([runOrder, z.strictObject({ kind: z.literal("more") })]),
  },
  /** The CSP stops the run (cancelled, or failed on its side): the session and its secret key's tools go. */
  "run-abort": { request: z.strictObject({ session, reason: z.string().max(500) }), response: z.strictObject({}) },
} as const;
export type RunCall = keyof typeof runCalls;
export const isRunCall = (op: string): op is RunCall => Object.hasOwn(runCalls, op);
/** A token's op for a call: "run.begin", "run.answer", "run.abort". */
export const runTokenOp = (call: RunCall) => call.replace("-", ".");

/** GET /api/key-holder/keys?id=<keyId>: the CSP's evaluation keys of a standard CKKS key pair (no secret, no public key needed). */
export const evalKeysWire = z.strictObject({
  keyId: z.string(),
  paramsId: z.string(),
  relinKeys: bytes,
  galoisKeys: bytes,
  rotationSteps: z.array(z.number().int()),
});
