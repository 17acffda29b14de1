import "server-only";
import { settings } from "@/lib/config/env";
import { AppError, type AppErrorCode } from "@/lib/errors";
import { hexKey, signPartyToken, type PartyGrant } from "@/lib/parties/token";
import { AA_SERVICE_NAME, aaApi, aaHealth, aaPublicKeys, type AaHealth, type AaInput, type AaOp, type AaOutput, type AaPublicKeys } from "./wire";

/**
 * The registration authority's side of the attribute authorities' API (lib/aa/service.ts): which
 * AA services it knows (MEDSHARE_AA_URLS), and one call on one of them with a token signed for
 * exactly that service, operation and attribute. An AA that does not answer is "unreachable",
 * in a sentence that names it, never a stack trace.
 */
export function aaServices(): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of (settings().MEDSHARE_AA_URLS ?? "").split(",")) {
    const at = entry.indexOf("=");
    if (at < 0) continue;
    const name = entry.slice(0, at).trim();
    const url = entry
      .slice(at + 1)
      .trim()
      .replace(/\/$/, "");
    if (AA_SERVICE_NAME.test(name) && /^https?:\/\//.test(url)) out.set(name, url);
  }
  return out;
}

export const aaUnreachable = (service: string) =>
  `The attribute authority ${service} is unreachable right now. Keys it already issued keep working; nothing was changed. Try again when it is back.`;

function urlOf(service: string): string {
  const url = aaServices().get(service);
  if (!url) throw new AppError("UNAVAILABLE", `No attribute authority service named ${service} is configured (MEDSHARE_AA_URLS; docs/DEPLOY.md).`);
  return url;
}

const CODES = new Set<AppErrorCode>(["VALIDATION", "NOT_FOUND", "CONFLICT", "INVALID_STATE", "PAYLOAD_TOO_LARGE", "UNAVAILABLE"]);

/** One call; `statement` adds what a key issuance needs signed (the person, their gid and browser key). */
export async function aaCall<K extends AaOp>(
  service: string,
  op: K,
  input: AaInput<K>,
  statement: Pick<PartyGrant, "sub" | "gid" | "wrap"> = {},
): Promise<AaOutput<K>> {
  const spec = aaApi[op];
  const token = signPartyToken(
    { aud: `aa:${service}`, op, res: spec.resource(input as never), ...statement },
    hexKey(settings().MEDSHARE_PARTY_SIGNING_KEY, "MEDSHARE_PARTY_SIGNING_KEY"),
  );
  let response: Response;
  try {
    response = await fetch(`${urlOf(service)}/api/aa/${spec.path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify(input),
      cache: "no-store",
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    throw new AppError("UNAVAILABLE", aaUnreachable(service));
  }
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (response.ok) {
    const parsed = spec.output.safeParse(body);
    if (parsed.success) return parsed.data as AaOutput<K>;
    throw new AppError("UNAVAILABLE", `The attribute authority ${service} gave an answer the portal cannot read.`);
  }
  const error = body?.error;
  if (error?.code === "UNAUTHENTICATED") {
    console.error(`[medshare] the attribute authority ${service} refused a call (${op}): ${error.message}`);
    throw new AppError("UNAVAILABLE", `The attribute authority ${service} refused the portal's credentials. Nothing was changed; please tell the operator.`);
  }
  if (error?.code && error.message && CODES.has(error.code as AppErrorCode)) throw new AppError(error.code as AppErrorCode, error.message);
  throw new AppError("UNAVAILABLE", aaUnreachable(service));
}

async function aaGet<T>(service: string, path: string, schema: { safeParse(v: unknown): { success: boolean; data?: T } }, timeoutMs: number): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${urlOf(service)}/api/aa/${path}`, { cache: "no-store", signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    throw new AppError("UNAVAILABLE", aaUnreachable(service));
  }
  const parsed = schema.safeParse(await response.json().catch(() => null));
  if (!parsed.success || parsed.data === undefined) throw new AppError("UNAVAILABLE", aaUnreachable(service));
  return parsed.data;
}

export const fetchAaHealth = (service: string, timeoutMs = 5_000): Promise<AaHealth> => aaGet(service, "health", aaHealth, timeoutMs);
export const fetchAaPublicKeys = (service: string): Promise<AaPublicKeys> => aaGet(service, "public-keys", aaPublicKeys, 10_000);
