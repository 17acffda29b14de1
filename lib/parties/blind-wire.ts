import { z } from "zod";

/**
 * The blind clustering protocol between the CSP (the caller) and the key holder (the authority's
 * service): one POST per call to /api/key-holder/<op>, the body and the answer in the parties'
 * wire format (lib/parties/wire.ts `toWireBody`: JSON with the ciphertexts as raw bytes). Defined
 * once, for both sides: lib/authority/blind-key-holder.ts serves them, lib/parties/blind-client.ts
 * calls them. Every call carries a token the CSP signs for this run and this op.
 */
const bytes = z.instanceof(Uint8Array);
const count = z
  .number()
  .int()
  .min(0)
  .max(1 << 24);
const cts = z.array(bytes).max(8192);

export const blindOrder = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("seeds"), seeds: z.array(count).max(64) }),
  z.strictObject({ kind: z.literal("centers"), centers: cts }),
  z.strictObject({
    kind: z.literal("aggregate"),
    fuzzy: cts,
    typical: cts.nullable(),
    q: z.strictObject({ r: count, R: count, t: z.array(count).max(64) }),
    a: z.number(),
    b: z.number(),
    m: z.union([z.literal(2), z.literal(1.5)]),
  }),
  z.strictObject({ kind: z.literal("nearest") }),
  z.strictObject({ kind: z.literal("done"), iterations: count }),
]);

export const blindCalls = {
  begin: {
    request: z.strictObject({ n: count, p: count, k: count, counts: z.array(count).max(4096) }),
    response: blindOrder,
  },
  /** The step's masked sums, in parts of a few MiB from ciphertext `first` on: "more" until the last part, then the next order. */
  answer: {
    request: z.strictObject({ out: cts, maskSums: z.array(z.number()).max(8192), records: z.array(count).max(8192), first: count }),
    response: z.union([blindOrder, z.strictObject({ kind: z.literal("more") })]),
  },
  finish: { request: z.strictObject({}), response: blindOrder },
  refresh: { request: z.strictObject({ masked: cts, records: count }), response: z.strictObject({ fresh: cts }) },
  broadcastSums: { request: z.strictObject({ masked: cts, records: z.array(count).max(8192) }), response: z.strictObject({ sums: cts }) },
  labels: { request: z.strictObject({ signs: cts, k: count, records: count }), response: z.strictObject({ smallest: z.array(count).max(1 << 16) }) },
} as const;
export type BlindCall = keyof typeof blindCalls;
/** GET /api/key-holder/keys: the deployment's blind key pair's public material (public key, relinearisation keys). */
export const blindPublicKeysWire = z.object({ keyId: z.string(), publicKey: bytes, relinKeys: bytes });
export const isBlindCall = (op: string): op is BlindCall => Object.hasOwn(blindCalls, op);

/** A token's op for a call: "blind.<call>". */
export const blindTokenOp = (call: BlindCall) => `blind.${call}`;
