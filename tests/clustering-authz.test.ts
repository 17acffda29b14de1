// Clustering entry points check authorization themselves (server actions and route handlers).
import { describe, expect, it, vi } from "vitest";
import { withFreshDatabase } from "./helpers/db";
import { makeUser } from "./helpers/users";

const claims = vi.hoisted(() => ({ current: null as null | { uid: string; sv: number } }));
// A cookie names a live server-side session (portal.sessions); the mock signs in with one.
vi.mock("@/lib/auth/session-token", () => ({
  readSessionClaims: async () => claims.current && { ...claims.current, sid: await (await import("./helpers/users")).liveSessionId(claims.current.uid) },
}));

const { startRunAction } = await import("@/lib/actions/clustering/start-run");
const { cancelRunAction } = await import("@/lib/actions/clustering/cancel-run");
const { describeRunAction } = await import("@/lib/actions/clustering/describe-run");
const { deleteRunAction } = await import("@/lib/actions/clustering/delete-run");
const { describeUploadAction } = await import("@/lib/actions/uploads/describe-upload");
const { deleteUploadAction } = await import("@/lib/actions/uploads/delete-upload");
const publicKeyRoute = await import("@/app/api/ckks/public-key/route");
// What a browser sends with a fetch from our own pages (route handlers refuse cross-site writes).
const sameOrigin = { "sec-fetch-site": "same-origin" };
const beginRoute = await import("@/app/api/uploads/[id]/features/route");
const putRoute = await import("@/app/api/uploads/[id]/features/[block]/route");
const completeRoute = await import("@/app/api/uploads/[id]/features/complete/route");
const { db } = await import("@/lib/db/client");
const { encodeFeatureBatch } = await import("@/lib/uploads/feature-batch");

withFreshDatabase();

const as = (u: { id: string; sessionVersion: number } | null) => {
  claims.current = u ? { uid: u.id, sv: u.sessionVersion } : null;
};
const someId = "00000000-0000-4000-8000-000000000000";
const ctx = <T>(params: T) => ({ params: Promise.resolve(params) });

describe("clustering entry points", () => {
  it("server actions: admins only, input validated", async () => {
    as(null);
    expect(await startRunAction({ uploadIds: [someId], k: 2 })).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
    for (const role of ["HOSPITAL_STAFF", "RESEARCHER"] as const) {
      as(await makeUser(role));
      expect(await startRunAction({ uploadIds: [someId], k: 2 })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
      expect(await cancelRunAction({ runId: someId })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
      expect(await describeRunAction({ runId: someId, name: "x", note: "" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
      expect(await deleteRunAction({ runId: someId })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    }
    // an upload's note and deletion: its organisation's hospital staff only
    for (const role of ["RESEARCHER", "AUTHORITY_ADMIN"] as const) {
      as(await makeUser(role));
      expect(await describeUploadAction({ uploadId: someId, note: "x" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
      expect(await deleteUploadAction({ uploadId: someId })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    }
    as(await makeUser("HOSPITAL_STAFF"));
    expect(await describeUploadAction({ uploadId: someId, note: "x".repeat(2001) })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    as(await makeUser("AUTHORITY_ADMIN", "PENDING"));
    expect(await startRunAction({ uploadIds: [someId], k: 2 })).toMatchObject({ ok: false, error: { code: "NOT_APPROVED" } });
    as(await makeUser("AUTHORITY_ADMIN"));
    expect(await startRunAction({ uploadIds: [], k: 1 })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    expect(await startRunAction({ uploadIds: [someId], k: 2 })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION", message: expect.stringMatching(/No stored encrypted features/) },
    });
    expect(await cancelRunAction({ runId: someId })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
    expect(await describeRunAction({ runId: someId, name: "y".repeat(121), note: "" })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    expect(await db().clusteringRun.count()).toBe(0);
  });

  it("route handlers: the public key for approved people; feature uploads for hospital staff of the upload's organisation", async () => {
    as(null);
    expect((await publicKeyRoute.GET(new Request("http://x/api/ckks/public-key"), ctx({}))).status).toBe(401);
    as(await makeUser("RESEARCHER"));
    const res = await publicKeyRoute.GET(new Request("http://x/api/ckks/public-key"), ctx({}));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body).sort()).toEqual(["keyId", "paramsId", "publicKey"]);
    expect(Buffer.from(body.publicKey, "base64").length).toBeGreaterThan(100_000);
    expect(await db().auditEntry.count({ where: { action: "CKKS_KEYS_CREATED" } })).toBe(1);
    // the blind protocol's key (a key pair of its own, made on first need); an unknown protocol is a clear 422 that makes nothing
    as(null);
    expect((await publicKeyRoute.GET(new Request("http://x/api/ckks/public-key?protocol=blind"), ctx({}))).status).toBe(401);
    as(await makeUser("RESEARCHER"));
    const unknown = await publicKeyRoute.GET(new Request("http://x/api/ckks/public-key?protocol=leaky"), ctx({}));
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).error.message).toMatch(/protocol must be "standard" or "blind"/);
    expect(await db().auditEntry.count({ where: { action: "CKKS_KEYS_CREATED" } })).toBe(1);
    const blind = await (await publicKeyRoute.GET(new Request("http://x/api/ckks/public-key?protocol=blind"), ctx({}))).json();
    expect(blind.paramsId).toMatch(/^blind-ckks-8192-/);
    expect(blind.keyId).not.toBe(body.keyId);
    expect(await db().auditEntry.count({ where: { action: "CKKS_KEYS_CREATED" } })).toBe(2);
    // researchers cannot upload features
    const put = new Request("http://x", { method: "PUT", headers: sameOrigin, body: new Uint8Array(10) });
    expect((await putRoute.PUT(put, ctx({ id: someId, block: "0" }))).status).toBe(403);
    // hospital staff: validation, then ownership
    as(await makeUser("HOSPITAL_STAFF"));
    const putBlock = (block: string, body: Uint8Array<ArrayBuffer>) =>
      putRoute.PUT(new Request("http://x", { method: "PUT", headers: sameOrigin, body }), ctx({ id: someId, block }));
    const malformed = await putBlock("0", new Uint8Array(10));
    expect(malformed.status).toBe(422);
    expect((await malformed.json()).error.message).toMatch(/Feature batch rejected: not a feature batch/);
    const truncated = await putBlock("0", encodeFeatureBatch({ first: 0, cts: [new Uint8Array(100)] }).subarray(0, 60));
    expect((await truncated.json()).error.message).toMatch(/cut short inside ciphertext 1 of 1/);
    expect((await putBlock("x", encodeFeatureBatch({ first: 0, cts: [new Uint8Array(100)] }))).status).toBe(422);
    expect((await putBlock("0", new Uint8Array(8 * 1024 * 1024 + 1))).status).toBe(413);
    // well formed: the CSP answers for the upload (none such here)
    expect((await putBlock("0", encodeFeatureBatch({ first: 0, cts: [new Uint8Array(100)] }))).status).toBe(404);
    const bad = new Request("http://x", { method: "POST", headers: sameOrigin, body: JSON.stringify({ n: 1 }) });
    expect((await beginRoute.POST(bad, ctx({ id: someId }))).status).toBe(422);
    const good = new Request("http://x", {
      method: "POST",
      headers: sameOrigin,
      body: JSON.stringify({ paramsId: body.paramsId, keyId: body.keyId, n: 1, p: 1, columns: ["a"], blocks: 1 }),
    });
    expect((await beginRoute.POST(good, ctx({ id: someId }))).status).toBe(404);
    expect((await completeRoute.POST(new Request("http://x", { method: "POST", headers: sameOrigin }), ctx({ id: someId }))).status).toBe(404);
  });
});
