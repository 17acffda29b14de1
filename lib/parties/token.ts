import { ed25519 } from "@noble/curves/ed25519.js";
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { z } from "zod";

/**
 * Tokens between parties (DESIGN.md "Parties and trust"): the authority signs, with Ed25519, a
 * short statement for one call on another party's API: who it is for (audience), what it
 * allows (an operation and, where there is one, the resource — this upload, this request,
 * this run — and the organisation and person acting), until when, and a nonce the receiver
 * accepts once. Compact form: `mst1.<claims, base64url JSON>.<signature, base64url>`.
 */
export const partyTokenClaims = z.strictObject({
  /** The authority, or the CSP for its calls on the clustering key holder (signed with its log key). */
  iss: z.enum(["authority", "csp"]),
  /** "csp", "kh" (the clustering key holder, the authority's service) or "aa:<service>" for an attribute authority's service (lib/aa). */
  aud: z.string().regex(/^(csp|kh|aa:[A-Za-z][A-Za-z0-9_-]{1,15})$/),
  /** The operation allowed, e.g. "uploads.putChunk". */
  op: z.string().regex(/^[a-z]+\.[A-Za-z]+$/),
  /** The one resource the operation may touch (upload, request or run id), if it has one. */
  res: z.string().max(200).optional(),
  /** The organisation the caller acts for. */
  org: z.uuid().optional(),
  /** The person acting (audit actor). */
  sub: z.uuid().optional(),
  /** An attribute authority's key issuance: the person's global id and the browser's X25519 wrapping key (base64url) the key is for. */
  gid: z.string().min(1).max(100).optional(),
  wrap: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
  iat: z.number().int(),
  exp: z.number().int(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
});
export type PartyTokenClaims = z.infer<typeof partyTokenClaims>;
export type PartyGrant = Pick<PartyTokenClaims, "aud" | "op" | "res" | "org" | "sub" | "gid" | "wrap">;

const PREFIX = "mst1";
/** A token lives one minute: long enough for one call over a slow link, too short to be worth stealing. */
export const TOKEN_TTL_S = 60;
/** Clocks of two hosts may disagree this much. */
export const CLOCK_SKEW_S = 30;
const MAX_TOKEN_LENGTH = 2048;

export class PartyTokenError extends Error {
  constructor(
    readonly reason: "malformed" | "bad-signature" | "wrong-issuer" | "expired" | "not-yet-valid" | "wrong-audience" | "wrong-scope" | "replayed",
    message: string,
  ) {
    super(message);
    this.name = "PartyTokenError";
  }
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
const domain = (body: string) => new TextEncoder().encode(`medshare-party-token/v1\n${body}`);

/** MEDSHARE_PARTY_SIGNING_KEY: the authority's Ed25519 secret key, 32 bytes hex (generated into .data/secrets.json). */
export function hexKey(hex: string | undefined, name: string): Uint8Array {
  if (!hex || !/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${name} must be 32 bytes, hex`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

export const publicKeyOf = (secretKey: Uint8Array) => ed25519.getPublicKey(secretKey);

// Node's own Ed25519 (OpenSSL) signs and verifies tokens: one per cross-party call, and about
// ten times faster than the pure-JS curve; the signatures are the same bytes (RFC 8032 is
// deterministic; tests/parties check both against each other). Key objects are made once per key.
const keyObjects = new Map<string, KeyObject>();
function keyObject(kind: "private" | "public", key: Uint8Array): KeyObject {
  const id = `${kind}:${Buffer.from(key).toString("hex")}`;
  let made = keyObjects.get(id);
  if (!made) {
    made =
      kind === "private"
        ? createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: b64(key), x: b64(publicKeyOf(key)) }, format: "jwk" })
        : createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64(key) }, format: "jwk" });
    if (keyObjects.size > 16) keyObjects.clear();
    keyObjects.set(id, made);
  }
  return made;
}

export function signPartyToken(
  grant: PartyGrant,
  secretKey: Uint8Array,
  now = Date.now(),
  ttlSeconds = TOKEN_TTL_S,
  iss: PartyTokenClaims["iss"] = "authority",
): string {
  const iat = Math.floor(now / 1000);
  const claims: PartyTokenClaims = partyTokenClaims.parse({ iss, ...grant, iat, exp: iat + ttlSeconds, nonce: b64(randomBytes(16)) });
  const body = b64(new TextEncoder().encode(JSON.stringify(claims)));
  return `${PREFIX}.${body}.${b64(sign(null, domain(body), keyObject("private", secretKey)))}`;
}

/**
 * Checks signature, audience, time and scope; the caller then spends the nonce once
 * (`spendNonce`). `expect.res`/`org` must match the claims exactly when given.
 */
export function verifyPartyToken(
  token: string,
  publicKey: Uint8Array,
  expect: { aud: PartyTokenClaims["aud"]; op: string; res?: string; iss?: PartyTokenClaims["iss"] },
  now = Date.now(),
): PartyTokenClaims {
  const parts = token.length <= MAX_TOKEN_LENGTH ? token.split(".") : [];
  if (parts.length !== 3 || parts[0] !== PREFIX) throw new PartyTokenError("malformed", "The party token is malformed.");
  const [, body, sig] = parts;
  let valid = false;
  try {
    const signature = Buffer.from(sig, "base64url");
    valid = signature.length === 64 && verify(null, domain(body), keyObject("public", publicKey), signature);
  } catch {
    valid = false;
  }
  const issuer = expect.iss ?? "authority";
  if (!valid) throw new PartyTokenError("bad-signature", `The party token is not signed by the ${issuer === "csp" ? "CSP" : "authority"}.`);
  let claims: PartyTokenClaims;
  try {
    claims = partyTokenClaims.parse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
  } catch {
    throw new PartyTokenError("malformed", "The party token's claims are malformed.");
  }
  // a key signs for one party only; the claim says which, and must say the expected one
  if (claims.iss !== issuer) throw new PartyTokenError("wrong-issuer", `The party token is issued by the ${claims.iss}, not the ${issuer}.`);
  const t = Math.floor(now / 1000);
  if (claims.aud !== expect.aud) throw new PartyTokenError("wrong-audience", `The party token is for the ${claims.aud}, not the ${expect.aud}.`);
  if (claims.exp + CLOCK_SKEW_S < t) throw new PartyTokenError("expired", "The party token has expired.");
  if (claims.iat - CLOCK_SKEW_S > t || claims.exp - claims.iat > 10 * TOKEN_TTL_S)
    throw new PartyTokenError("not-yet-valid", "The party token's times are implausible.");
  if (claims.op !== expect.op) throw new PartyTokenError("wrong-scope", `The party token allows ${claims.op}, not ${expect.op}.`);
  if (expect.res !== undefined && claims.res !== expect.res) throw new PartyTokenError("wrong-scope", "The party token is for another resource.");
  return claims;
}
