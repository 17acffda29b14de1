import { ed25519 } from "@noble/curves/ed25519.js";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { PartyTokenError, publicKeyOf, signPartyToken, TOKEN_TTL_S, verifyPartyToken } from "./token";
import { fromWireBody, fromWireJson, toWireBody, toWireJson, WIRE_BINARY_TYPE } from "./wire";

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

  it("the CSP's tokens for the key holder say so, and neither party's token passes for the other's", () => {
    const kh = { aud: "kh" as const, op: "blind.answer", res: grant.res };
    const claims = verifyPartyToken(signPartyToken(kh, secret, Date.now(), TOKEN_TTL_S, "csp"), pub, {
      aud: "kh",
      op: "blind.answer",
      res: grant.res,
      iss: "csp",
    });
    expect(claims.iss).toBe("csp");
    // the same key, the issuer claimed otherwise: a verifier expecting one party refuses the other
    expect(reason(() => verifyPartyToken(signPartyToken(kh, secret), pub, { aud: "kh", op: "blind.answer", iss: "csp" }))).toBe("wrong-issuer");
    expect(reason(() => verifyPartyToken(signPartyToken(grant, secret, Date.now(), TOKEN_TTL_S, "csp"), pub, { aud: "csp", op: grant.op }))).toBe(
      "wrong-issuer",
    );
    expect(
      reason(() => verifyPartyToken(signPartyToken(kh, randomBytes(32), Date.now(), TOKEN_TTL_S, "csp"), pub, { aud: "kh", op: "blind.answer", iss: "csp" })),
    ).toBe("bad-signature");
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
    for (const bad of ["", "mst1", "mst1..", "jwt.a.b", `mst1.${"A".repeat(5000)}.x`])
      expect(reason(() => verifyPartyToken(bad, pub, expect1))).toBe(bad.startsWith("mst1.") && bad.length < 100 ? "bad-signature" : "malformed");
  });

  it("refuses a token for another operation or another resource", () => {
    const token = signPartyToken(grant, secret);
    expect(reason(() => verifyPartyToken(token, pub, { aud: "csp", op: "uploads.complete" }))).toBe("wrong-scope");
    expect(reason(() => verifyPartyToken(token, pub, { aud: "csp", op: grant.op, res: "someone-elses-upload" }))).toBe("wrong-scope");
  });

  it("Node's Ed25519 and noble's agree: the same signature bytes, each verifies the other's", () => {
    const token = signPartyToken(grant, secret);
    const [prefix, body, sig] = token.split(".");
    const message = new TextEncoder().encode(`medshare-party-token/v1\n${body}`);
    expect(Buffer.from(ed25519.sign(message, secret)).toString("base64url")).toBe(sig);
    expect(ed25519.verify(Buffer.from(sig, "base64url"), message, pub)).toBe(true);
    const nobleToken = `${prefix}.${body}.${Buffer.from(ed25519.sign(message, secret)).toString("base64url")}`;
    expect(verifyPartyToken(nobleToken, pub, { aud: "csp", op: grant.op }).nonce).toBeTruthy();
    expect(reason(() => verifyPartyToken(`${prefix}.${body}.${sig.slice(0, 40)}`, pub, { aud: "csp", op: grant.op }))).toBe("bad-signature");
  });

  it("claims outside the schema are refused before signing", () => {
    expect(() => signPartyToken({ ...grant, org: "not-a-uuid" }, secret)).toThrow();
    expect(() => signPartyToken({ ...grant, op: "DROP TABLE" }, secret)).toThrow();
  });
});

describe("wire JSON", () => {
  it("keeps bytes, dates and big integers across the boundary", () => {
    const value = {
      b: new Uint8Array([0, 1, 255]),
      d: new Date("2026-12-03T12:00:00.000Z"),
      n: 2n ** 70n,
      nested: [{ x: new Uint8Array(0) }],
      plain: { $b64: 1 },
    };
    const back = fromWireJson<typeof value>(toWireJson(value));
    expect(back.b).toEqual(value.b);
    expect(back.d.toISOString()).toBe(value.d.toISOString());
    expect(back.n).toBe(value.n);
    expect(back.nested[0].x).toEqual(new Uint8Array(0));
    expect(back.plain).toEqual({ $b64: 1 });
  });
});

describe("wire bodies (bytes as they are)", () => {
  it("a call with bytes is framed binary, keeps bytes, dates and big integers, and is no larger than the bytes plus the JSON", () => {
    const chunk = randomBytes(512 * 1024);
    const value = {
      uploadId: "u",
      index: 3,
      data: new Uint8Array(chunk),
      more: [new Uint8Array([9]), new Uint8Array(0)],
      d: new Date("2026-12-05T00:00:00.000Z"),
      n: 2n ** 70n,
    };
    const { body, contentType } = toWireBody(value);
    expect(contentType).toBe(WIRE_BINARY_TYPE);
    expect(body.length).toBeLessThan(chunk.length + 300);
    const back = fromWireBody<typeof value>(body as Uint8Array, `${contentType}; charset=binary`);
    expect(Buffer.from(back.data).equals(chunk)).toBe(true);
    expect(back.more).toEqual([new Uint8Array([9]), new Uint8Array(0)]);
    expect(back.d.toISOString()).toBe(value.d.toISOString());
    expect(back.n).toBe(value.n);
    expect(back.index).toBe(3);
  });

  it("a call without bytes stays wire JSON", () => {
    const { body, contentType } = toWireBody({ uploadId: "u" });
    expect(contentType).toBe("application/json");
    expect(fromWireBody(new TextEncoder().encode(body as string), contentType)).toEqual({ uploadId: "u" });
  });

  it("a malformed binary body is refused: wrong magic, cut short, a byte string pointing outside", () => {
    const { body } = toWireBody({ data: new Uint8Array([1, 2, 3]) });
    const bytes = body as Uint8Array;
    expect(() => fromWireBody(Uint8Array.from([0, 0, 0, 0, ...bytes.subarray(4)]), WIRE_BINARY_TYPE)).toThrow(SyntaxError);
    expect(() => fromWireBody(bytes.subarray(0, 10), WIRE_BINARY_TYPE)).toThrow(SyntaxError);
    const json = new TextEncoder().encode(JSON.stringify({ data: { $bin: [2, 5] } }));
    const forged = new Uint8Array(8 + json.length + 3);
    forged.set([0x4d, 0x53, 0x57, 0x31]);
    new DataView(forged.buffer).setUint32(4, json.length);
    forged.set(json, 8);
    expect(() => fromWireBody(forged, WIRE_BINARY_TYPE)).toThrow(/outside/);
    expect(() => fromWireBody(new Uint8Array([0xff, 0xfe]), "application/json")).toThrow();
  });
});
