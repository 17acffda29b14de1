import "server-only";
import { settings } from "@/lib/config/env";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { errorResponse } from "@/lib/http/error-response";
import { readBodyBytes } from "@/lib/http/read-body";
import { BODY_LIMITS } from "@/lib/gateway/limits";
import { fromWireBody, toWireJson } from "@/lib/parties/wire";
import { hexKey, PartyTokenError, verifyPartyToken } from "@/lib/parties/token";
import { handlers } from "./handlers";
import { cspApi, isCspOp } from "./wire";

/** MEDSHARE_AUTHORITY_PUBLIC_KEY: the authority's Ed25519 public key (hex), the only signer the CSP accepts. */
const authorityKey = () => hexKey(settings().MEDSHARE_AUTHORITY_PUBLIC_KEY, "MEDSHARE_AUTHORITY_PUBLIC_KEY");

/** A token's nonce is good once: a replayed call is refused, and nothing it asked for happens. */
async function spendNonce(nonce: string, exp: number) {
  const fresh = await db().$queryRaw<unknown[]>`
    INSERT INTO csp.party_token_nonces (nonce, expires_at) VALUES (${nonce}, to_timestamp(${exp + 60}))
    ON CONFLICT (nonce) DO NOTHING RETURNING nonce`;
  if (fresh.length === 0) throw new PartyTokenError("replayed", "This party token was already used: a replayed call is refused.");
  // Now and then, forget nonces whose tokens have expired anyway.
  if (Math.random() < 0.01) await db().$executeRaw`DELETE FROM csp.party_token_nonces WHERE expires_at < now()`;
}

/**
 * One call on the CSP's API: POST /api/csp/<op> with `Authorization: Bearer <party token>` and
 * the input as wire JSON. The token must be the authority's, for the CSP, for this operation
 * and (where the operation has one) this resource, unexpired and unused; the organisation and
 * person acting come from the token, never from the body.
 */
export async function serveCspCall(req: Request, op: string): Promise<Response> {
  try {
    if (!isCspOp(op)) throw new AppError("NOT_FOUND", `The CSP has no operation "${op}".`);
    const bearer = /^Bearer (\S+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
    if (!bearer) throw new PartyTokenError("malformed", "A call on the CSP needs the authority's token (Authorization: Bearer …).");
    const claims = verifyPartyToken(bearer, authorityKey(), { aud: "csp", op });
    const spec = cspApi[op];
    let raw: unknown;
    try {
      raw = fromWireBody(await readBodyBytes(req, spec.body ?? BODY_LIMITS.cspCall), req.headers.get("content-type"));
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError("VALIDATION", "The call's body is not valid wire JSON or a valid wire body.");
    }
    const parsed = spec.input.safeParse(raw);
    if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const resource = spec.resource(parsed.data as never);
    if (resource !== null && claims.res !== resource)
      throw new PartyTokenError("wrong-scope", "The party token is for another resource than this call touches.");
    for (const need of spec.needs)
      if (!claims[need]) throw new PartyTokenError("wrong-scope", `The party token does not name the ${need === "org" ? "organisation" : "person"} acting.`);
    await spendNonce(claims.nonce, claims.exp);
    const handler = handlers[op] as (input: unknown, caller: { org: string; sub: string; op: typeof op; res?: string }) => Promise<unknown>;
    const result = await handler(parsed.data, { org: claims.org ?? "", sub: claims.sub ?? "", op, res: claims.res });
    // A `plain` operation's answer is plain JSON (no bytes, dates as ISO strings): the portal passes it on to the browser unread.
    // no-transform: Next does not gzip the answer (ciphertexts in base64 barely compress, and a
    // 10 MB answer cost ~0.5 s of CPU at each end of the link between the parties).
    return new Response(spec.plain ? JSON.stringify(result ?? null) : toWireJson(result ?? null), {
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store, no-transform" },
    });
  } catch (error) {
    if (error instanceof PartyTokenError)
      return Response.json(
        { error: { code: "UNAUTHENTICATED", message: `The CSP refused the call: ${error.message}`, reason: error.reason } },
        { status: 401 },
      );
    return errorResponse(error);
  }
}
