import type { z } from "zod";
import { AppError } from "@/lib/errors";
import { KEY_HOLDER_UNREACHABLE as UNREACHABLE, keyHolderPost, partsOf, type KeyHolderTarget } from "./kh-call";
import type { BlindOrder, BlindSessionWire } from "@/lib/hopcm/encrypted/blind/session";
import { blindCalls, blindPublicKeysWire, blindTokenOp, type BlindCall } from "./blind-wire";
import { fromWireBody } from "./wire";

/**
 * The CSP's end of the blind protocol over HTTP (issue #14 on #12's boundary): each call a POST to
 * the authority's /api/key-holder/<call> with a token the CSP signs (its log key) for the key
 * holder, this call and this run; ciphertexts as raw bytes (lib/parties/wire.ts), split into parts
 * of at most 7 MiB where the call allows it (sums, refreshes, seed sums).
 */
export function keyHolderClient(options: KeyHolderTarget): BlindSessionWire {
  const call = (op: BlindCall, input: unknown) => keyHolderPost(options, op, blindTokenOp(op), input);
  const parts = partsOf;
  const order = (value: unknown): BlindOrder => blindCalls.begin.response.parse(value);
  return {
    begin: async (start) => order(await call("begin", start)),
    async answer({ out, maskSums, records }) {
      let last: unknown = null;
      for (const [a, b] of parts(out))
        last = blindCalls.answer.response.parse(
          await call("answer", { out: out.slice(a, b), maskSums: maskSums.slice(a, b), records: records.slice(a, b), first: a }),
        );
      return order(last);
    },
    finish: async () => order(await call("finish", {})),
    async refresh(masked, records) {
      const fresh: Uint8Array[] = [];
      for (const [a, b] of parts(masked))
        fresh.push(...blindCalls.refresh.response.parse(await call("refresh", { masked: masked.slice(a, b), records })).fresh);
      return fresh;
    },
    async broadcastSums(masked, records) {
      const sums: Uint8Array[] = [];
      for (const [a, b] of parts(masked))
        sums.push(...blindCalls.broadcastSums.response.parse(await call("broadcastSums", { masked: masked.slice(a, b), records: records.slice(a, b) })).sums);
      return sums;
    },
    labels: async (signs, k, records) => Int32Array.from(blindCalls.labels.response.parse(await call("labels", { signs, k, records })).smallest),
  };
}

/** The deployment's blind public material from the key holder (GET /api/key-holder/keys): the CSP's relinearisation keys and the key's id. */
export async function fetchBlindPublicKeys(url: string): Promise<z.infer<typeof blindPublicKeysWire>> {
  let response: Response;
  try {
    response = await fetch(`${url.replace(/\/$/, "")}/api/key-holder/keys`, { cache: "no-store", signal: AbortSignal.timeout(60_000) });
  } catch {
    throw new AppError("UNAVAILABLE", UNREACHABLE);
  }
  if (!response.ok) throw new AppError("UNAVAILABLE", `The clustering key holder did not give its public keys (${response.status}).`);
  return blindPublicKeysWire.parse(fromWireBody(new Uint8Array(await response.arrayBuffer()), response.headers.get("content-type")));
}
