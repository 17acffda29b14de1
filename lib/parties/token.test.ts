import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PartyTokenError, publicKeyOf, signPartyToken, TOKEN_TTL_S, verifyPartyToken } from "./token";
import { fromWireJson, toWireJson } from "./wire";

const secret = randomBytes(32);
const pub = publicKeyOf(secret);
const grant = { aud: "csp" as const, op: "uploads.progress", res: "6a1f3f0e-0c8e-4a39-9d3e-2f8b1c1d2e3f", org: "0b9a7c1e-2d3f-4a5b-8c6d-7e8f9a0b1c2d" };
const reason = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    if (error instanceof PartyTokenError) return error.reason;
    throw error;
  }
  return "accepted";
};

describe("party tokens (Ed25519, one call, one minute)", () => {
  it("a token the authority signed verifies for its operation and resource", () => {
    const claims = verifyPartyToken(signPartyToken(grant, secret), pub, { aud: "csp", op: "uploads.progress", res: grant.res });
    expect(claims).toMatchObject({ iss: "authority", ...grant });
    expect(claims.exp - claims.iat).toBe(TOKEN_TTL_S);
    expect(claims.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("every token has its own nonce", () => {
    const nonces = new Set(Array.from({ length: 50 }, () => verifyPartyToken(signPartyToken(grant, secret), pub, { aud: "csp", op: grant.op }).nonce));
    expect(nonces.size).toBe(50);
  });

  it("refuses a forged, a tampered, an expired, a future and a malformed token", () => {
    const expect1 = { aud: "csp" as const, op: grant.op };
    expect(reason(() => verifyPartyToken(signPartyToken(grant, randomBytes(32)), pub, expect1))).toBe("bad-signature");
    const [p, body, sig] = signPartyToken(grant, secret).split(".");
    const claims = JSON.parse(Buffer.from(body, "base64url").toString());
    const widened = Buffer.from(JSON.stringify({ ...claims, res: "another" })).toString("base64url");
    expect(reason(() => verifyPartyToken(`${p}.${widened}.${sig}`, pub, expect1))).toBe("bad-signature");
    expect(reason(() => verifyPartyToken(signPartyToken(grant, secret, Date.now() - 5 * 60_000), pub, expect1))).toBe("expired");
    expect(reason(() => verifyPartyToken(signPartyToken(grant, secret, Date.now() + 5 * 60_000), pub, expect1))).toBe("not-yet-valid");
    expect(reason(() => verifyPartyToken(signPartyToken(grant, secret, Date.now(), 3600), pub, expect1))).toBe("not-yet-valid");
    for (const bad of ["", "mst1", "mst1..", "jwt.a.b", `mst1.${"A".repeat(5000)}.x`]) expect(reason(() => verifyPartyToken(bad, pub, expect1))).toBe(bad.startsWith("mst1.") && bad.length < 100 ? "bad-signature" : "malformed");
  });

  it("refuses a token for another operation or another resource", () => {
    const token = signPartyToken(grant, secret);
    expect(reason(() => verifyPartyToken(token, pub, { aud: "csp", op: "uploads.complete" }))).toBe("wrong-scope");
    expect(reason(() => verifyPartyToken(token, pub, { aud: "csp", op: grant.op, res: "someone-elses-upload" }))).toBe("wrong-scope");
  });

  it("claims outside the schema are refused before signing", () => {
    expect(() => signPartyToken({ ...grant, org: "not-a-uuid" }, secret)).toThrow();
    expect(() => signPartyToken({ ...grant, op: "DROP TABLE" }, secret)).toThrow();
  });
});

describe("wire JSON", () => {
  it("keeps bytes, dates and big integers across the boundary", () => {
    const value = { b: new Uint8Array([0, 1, 255]), d: new Date("2026-12-03T12:00:00.000Z"), n: 2n ** 70n, nested: [{ x: new Uint8Array(0) }], plain: { $b64: 1 } };
    const back = fromWireJson<typeof value>(toWireJson(value));
    expect(back.b).toEqual(value.b);
    expect(back.d.toISOString()).toBe(value.d.toISOString());
    expect(back.n).toBe(value.n);
    expect(back.nested[0].x).toEqual(new Uint8Array(0));
    expect(back.plain).toEqual({ $b64: 1 });
  });
});
