import { AppError } from "@/lib/errors";
import { signPartyToken } from "./token";
import { fromWireBody, toWireBody } from "./wire";

/**
 * The CSP's calls on the clustering key holder (the authority's /api/key-holder/<op>), both
 * protocols': a POST with a token the CSP signs (its log key) for the key holder, this op and this
 * run; the body in the parties' wire format, ciphertexts as raw bytes.
 */

/** Ciphertext bytes per call: below the key holder's body limit (lib/gateway/limits.ts keyHolderCall) with room for the header. */
export const PART_BYTES = 7 * 2 ** 20;
export const KEY_HOLDER_UNREACHABLE = "The clustering key holder (the authority's service) is unreachable. The run stops; it can be started again.";

export type KeyHolderTarget = { url: string; signingKey: Uint8Array; runId: string; timeoutMs?: number };

export async function keyHolderPost(target: KeyHolderTarget, op: string, tokenOp: string, input: unknown): Promise<unknown> {
  const token = signPartyToken({ aud: "kh", op: tokenOp, res: target.runId }, target.signingKey, Date.now(), undefined, "csp");
  const { body, contentType } = toWireBody(input);
  let response: Response;
  try {
    response = await fetch(`${target.url.replace(/\/$/, "")}/api/key-holder/${op}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": contentType },
      body,
      cache: "no-store",
      signal: AbortSignal.timeout(target.timeoutMs ?? 300_000),
    });
  } catch {
    throw new AppError("UNAVAILABLE", KEY_HOLDER_UNREACHABLE);
  }
  const bytes = new Uint8Array(await response.arrayBuffer().catch(() => new ArrayBuffer(0)));
  if (!response.ok) {
    let message = `answered ${response.status}`;
    try {
      message = (JSON.parse(new TextDecoder().decode(bytes)) as { error: { message: string } }).error.message;
    } catch {
      // a proxy's answer: the status says enough
    }
    if (response.status >= 500 && response.status !== 503) throw new AppError("UNAVAILABLE", KEY_HOLDER_UNREACHABLE);
    throw new AppError(response.status === 409 ? "CONFLICT" : "UNAVAILABLE", `The clustering key holder refused a step of the run: ${message}`);
  }
  return fromWireBody(bytes, response.headers.get("content-type"));
}

/** Splits ciphertexts into runs [start, end) of at most PART_BYTES (at least one ciphertext each; one run for none). */
export function partsOf(cts: Uint8Array[]): Array<[number, number]> {
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
