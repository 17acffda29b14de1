/**
 * Issue #11 Low items on the request and template side, against the real database and the
 * real authorization code (only the session cookie reading is replaced): NUL bytes are field
 * errors, a template deletion is audited, and rejected request signatures are capped.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { encodeAbsSignature, absSign, parsePolicy, policyAttributes } from "@/lib/abe";
import { currentVersions, vksFor } from "@/lib/authority/catalogue";
import { requestSignatureMessage, requestStatement } from "@/lib/requests/protocol";
import { withFreshDatabase } from "./helpers/db";
import { makeCatalogue, personWithKeys } from "./helpers/authority";
import { uploadRows } from "./helpers/upload";
import { makeUser } from "./helpers/users";

const claims = vi.hoisted(() => ({ current: null as null | { uid: string; sv: number } }));
// A cookie names a live server-side session (portal.sessions); the mock signs in with one.
vi.mock("@/lib/auth/session-token", () => ({
  readSessionClaims: async () => claims.current && { ...claims.current, sid: await (await import("./helpers/users")).liveSessionId(claims.current.uid) },
}));

const { savePolicyTemplateAction } = await import("@/lib/actions/uploads/save-policy-template");
const { deletePolicyTemplateAction } = await import("@/lib/actions/uploads/delete-policy-template");
const { createRequestAction } = await import("@/lib/actions/requests/create-request");
const { submitSignatureAction } = await import("@/lib/actions/requests/submit-signature");
const { db } = await import("@/lib/db/client");

withFreshDatabase();

type Person = Awaited<ReturnType<typeof personWithKeys>>;
const as = async (p: Person) => {
  const { sessionVersion } = await db().user.findUniqueOrThrow({ where: { id: p.user.id }, select: { sessionVersion: true } });
  claims.current = { uid: p.user.id, sv: sessionVersion };
};

describe("templates and requests refuse what would break or flood them", () => {
  let staff: Person, researcher: Person;
  let uploadId = "";

  beforeAll(async () => {
    const admin = await makeUser("AUTHORITY_ADMIN");
    const ids = { ...(await makeCatalogue(admin.id, "SRC", ["hospital"])), ...(await makeCatalogue(admin.id, "HA1", ["researcher"])) };
    staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
    researcher = await personWithKeys(admin.id, "RESEARCHER", [ids["HA1.researcher"]]);
    uploadId = await uploadRows(staff, "HA1.researcher", [{ marker: "n1", value: 1 }], "SRC.hospital");
  });

  it("NUL bytes in a template name or a request purpose are a field error, and nothing is written", async () => {
    await as(staff);
    expect(await savePolicyTemplateAction({ name: "nul\u0000name", policy: "HA1.researcher" })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    expect(await db().policyTemplate.count()).toBe(0);
    await as(researcher);
    expect(await createRequestAction({ uploadIds: [uploadId], purpose: "a purpose with \u0000 inside it", acceptTerms: true })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION" },
    });
    expect(await db().accessRequest.count()).toBe(0);
  });

  it("deleting a policy template writes its audit entry", async () => {
    await as(staff);
    const saved = await savePolicyTemplateAction({ name: "Researchers", policy: "HA1.researcher" });
    if (!saved.ok) throw new Error(saved.error.message);
    expect(await deletePolicyTemplateAction({ id: saved.data.id })).toEqual({ ok: true, data: { deleted: true } });
    expect(await db().auditEntry.count({ where: { action: "POLICY_TEMPLATE_DELETED", subjectId: saved.data.id } })).toBe(1);
    expect(await deletePolicyTemplateAction({ id: saved.data.id })).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
  });

  it("rejected request signatures are capped per request, even in parallel, and the lock is audited", async () => {
    await as(researcher);
    const created = await createRequestAction({ uploadIds: [uploadId], purpose: "checking the signature cap", acceptTerms: true });
    if (!created.ok) throw new Error(created.error.message);
    const req = created.data;
    const { versions } = await currentVersions(policyAttributes(parsePolicy(req.absPolicy)));
    const signedAt = new Date().toISOString();
    const statement = requestStatement(req, signedAt);
    // signed over another statement: a well-formed signature that does not verify for this request
    const wrong = absSign({
      message: requestSignatureMessage({ ...statement, nonce: "0".repeat(32) }),
      policy: req.absPolicy,
      gid: researcher.user.gid,
      keys: researcher.keys,
      vks: await vksFor(versions),
    });
    const attempt = (signature: Uint8Array) =>
      submitSignatureAction({
        requestId: req.requestId,
        token: req.token,
        signature: Buffer.from(signature).toString("base64"),
        signatureVersions: versions,
        signedAt,
      });
    const results = await Promise.all(Array.from({ length: 8 }, () => attempt(encodeAbsSignature(wrong))));
    expect(results.filter((r) => !r.ok && r.error.code === "FORBIDDEN")).toHaveLength(5);
    expect(results.filter((r) => !r.ok && r.error.code === "RATE_LIMITED")).toHaveLength(3);
    expect(await db().absVerification.count({ where: { requestId: req.requestId } })).toBe(5);
    // even a valid signature is no longer checked for this request
    const right = absSign({
      message: requestSignatureMessage(statement),
      policy: req.absPolicy,
      gid: researcher.user.gid,
      keys: researcher.keys,
      vks: await vksFor(versions),
    });
    const late = await attempt(encodeAbsSignature(right));
    expect(late).toMatchObject({ ok: false, error: { code: "RATE_LIMITED" } });
    if (!late.ok) expect(late.error.message).toMatch(/5 rejected signatures; start a new request/);
    expect(await db().auditEntry.count({ where: { action: "ABS_LOCKED", subjectId: req.requestId } })).toBe(4);
    expect(await db().accessRequestUpload.count({ where: { requestId: req.requestId, NOT: { partialDecryption: null } } })).toBe(0);
  });
});
