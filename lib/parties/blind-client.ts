import type { z } from "zod";
import { AppError } from "@/lib/errors";
import type { BlindOrder, BlindSessionWire } from "@/lib/hopcm/encrypted/blind/session";
import { blindCalls, blindPublicKeysWire, blindTokenOp, type BlindCall } from "./blind-wire";
import { signPartyToken } from "./token";
import { fromWireBody, toWireBody } from "./wire";

/** Ciphertext bytes per call: below the key holder's body limit (lib/gateway/limits.ts keyHolderCall) with room for the header. */
const PART_BYTES = 7 * 2 ** 20;
const UNREACHABLE = "The clustering key holder (the authority's service) is unreachable. The run stops; it can be started again.";

/**
 * The CSP's end of the blind protocol over HTTP (issue #14 on #12's boundary): each call a POST to
 * the authority's /api/key-holder/<call> with a token the CSP signs (its log key) for the key
 * holder, this call and this run; ciphertexts as raw bytes (lib/parties/wire.ts), split into parts
 * of at most 7 MiB where the call allows it (sums, refreshes, seed sums).
 */
export function keyHolderClient(options: { url: string; signingKey: Uint8Array; runId: string; timeoutMs?: number }): BlindSessionWire {
  const base = options.url.replace(/\/$/, "");
  async function call<C extends BlindCall>(op: C, input: unknown): Promise<unknown> {
    const token = signPartyToken({ aud: "kh", op: blindTokenOp(op), res: options.runId }, options.signingKey, Date.now(), undefined, "csp");
    const { body, contentType } = toWireBody(input);
    let response: Response;
    try {
      response = await fetch(`${base}/api/key-holder/${op}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": contentType },
        body,
        cache: "no-store",
        signal: AbortSignal.timeout(options.timeoutMs ?? 300_000),
      });
    } catch {
      throw new AppError("UNAVAILABLE", UNREACHABLE);
    }
    const bytes = new Uint8Array(await response.arrayBuffer().catch(() => new ArrayBuffer(0)));
    if (!response.ok) {
      let message = `answered ${response.status}`;
      try {
        message = (JSON.parse(new TextDecoder().decode(bytes)) as { error: { message: string } }).error.message;
      } catch {
        // a proxy's answer: the status says enough
      }
      if (response.status >= 500 && response.status !== 503) throw new AppError("UNAVAILABLE", UNREACHABLE);
      throw new AppError(response.status === 409 ? "CONFLICT" : "UNAVAILABLE", `The clustering key holder refused a step of the run: ${message}`);
    }
    return fromWireBody(bytes, response.headers.get("content-type"));
  }
  /** Splits ciphertexts (with their per-ciphertext fields) into parts under PART_BYTES. */
  function parts(cts: Uint8Array[]): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let start = 0;
    let size = 0;
    cts.forEach((ct, i) => {
      if (i > start && size + ct.length > PART_BYTES) {
        out.push([start, i]);
        start = i;
        size = 0;
      }
      size += ct.length;
    });
    out.push([start, cts.length]);
    return out;
  }
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
