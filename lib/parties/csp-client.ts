import "server-only";
import { settings } from "@/lib/config/env";
import { AppError, type AppErrorCode } from "@/lib/errors";
import type { CspOutput } from "@/lib/csp/api/handlers";
import { cspApi, type CspInput, type CspOp } from "@/lib/csp/api/wire";
import { hexKey, signPartyToken } from "./token";
import { fromWireJson, toWireBody } from "./wire";

/** What the authority vouches for in a call: the organisation and the person acting. */
export type Acting = { org?: string; sub?: string };

const UNREACHABLE = "The storage service (CSP) is unreachable right now. Nothing was lost; please try again in a minute.";
const CODES = new Set<AppErrorCode>([
  "UNAUTHENTICATED",
  "NOT_APPROVED",
  "FORBIDDEN",
  "VALIDATION",
  "NOT_FOUND",
  "CONFLICT",
  "INVALID_STATE",
  "RATE_LIMITED",
  "LOCKED",
  "PAYLOAD_TOO_LARGE",
  "UNAVAILABLE",
  "INTERNAL",
]);

/** MEDSHARE_CSP_URL: where the CSP's service answers (npm start sets it to its loopback port). */
export function cspUrl(): string {
  const url = settings().MEDSHARE_CSP_URL;
  if (!url) throw new AppError("UNAVAILABLE", "The storage service (CSP) is not configured (MEDSHARE_CSP_URL).");
  return url.replace(/\/$/, "");
}

/**
 * Sends one call on the CSP's API (lib/csp/api/wire.ts) with a fresh token the authority signs
 * for exactly this call: this operation, this resource, the organisation and person acting,
 * one minute, one use; bytes in the input travel as they are (lib/parties/wire.ts). Returns
 * the CSP's answer when it is a success. The CSP's refusals come back as the same AppErrors its
 * code raised; a CSP that does not answer is "unreachable", never a stack trace.
 */
async function send<K extends CspOp>(op: K, input: CspInput<K>, acting: Acting): Promise<Response> {
  const spec = cspApi[op];
  const res = spec.resource(input as never) ?? undefined;
  const token = signPartyToken({ aud: "csp", op, res, ...acting }, hexKey(settings().MEDSHARE_PARTY_SIGNING_KEY, "MEDSHARE_PARTY_SIGNING_KEY"));
  const { body, contentType } = toWireBody(input);
  let response: Response;
  try {
    response = await fetch(`${cspUrl()}/api/csp/${op}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": contentType },
      body,
      cache: "no-store",
      signal: AbortSignal.timeout(180_000),
    });
  } catch {
    throw new AppError("UNAVAILABLE", UNREACHABLE);
  }
  if (response.ok) return response;
  const text = await response.text().catch(() => "");
  let error: { code?: string; message?: string; fieldErrors?: Record<string, string[]> } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  if (!error?.code || !CODES.has(error.code as AppErrorCode)) {
    // A proxy's or a crashed server's answer: say what happened, not what it printed.
    throw new AppError("UNAVAILABLE", response.status >= 500 ? UNREACHABLE : `The storage service (CSP) answered ${response.status}.`);
  }
  if (error.code === "UNAUTHENTICATED") {
    // The CSP refused the authority's own token (keys or clocks out of step): the operator's problem, not the user's sign-in.
    console.error(`[medshare] the CSP refused a call (${op}): ${error.message}`);
    throw new AppError("UNAVAILABLE", "The storage service (CSP) refused the portal's credentials. Nothing was changed; please tell the operator.");
  }
  throw new AppError(error.code as AppErrorCode, error.message, error.fieldErrors);
}

/** Calls one operation of the CSP's API and returns its answer as the CSP's code returned it. */
export async function cspCall<K extends CspOp>(op: K, input: CspInput<K>, acting: Acting = {}): Promise<CspOutput<K>> {
  const response = await send(op, input, acting);
  let text: string;
  try {
    text = await response.text();
  } catch {
    throw new AppError("UNAVAILABLE", UNREACHABLE);
  }
  return fromWireJson<CspOutput<K>>(text);
}

type PlainOp = { [K in CspOp]: (typeof cspApi)[K] extends { plain: true } ? K : never }[CspOp];

/**
 * Calls a `plain` operation (its answer is plain JSON) and streams the answer on without reading
 * it, inside `{"<field>": <answer>, ...extra}`: the request data (megabytes of base64 record
 * ciphertexts) crosses the portal once, not parsed and serialised again.
 */
export async function cspPassThrough(
  op: PlainOp,
  input: CspInput<PlainOp>,
  acting: Acting,
  field: string,
  extra: Record<string, unknown>,
): Promise<ReadableStream<Uint8Array>> {
  if (!cspApi[op].plain) throw new Error(`${op} is not a plain operation`);
  const response = await send(op, input, acting);
  const answer = response.body;
  if (!answer) throw new AppError("UNAVAILABLE", UNREACHABLE);
  const encoder = new TextEncoder();
  const tail = Object.entries(extra)
    .map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join("");
  const reader = answer.getReader();
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(`{${JSON.stringify(field)}:`));
        return;
      }
      const { done, value } = await reader.read();
      if (done) {
        controller.enqueue(encoder.encode(`${tail}}`));
        controller.close();
      } else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
