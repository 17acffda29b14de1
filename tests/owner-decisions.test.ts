import { beforeAll, describe, expect, it, vi } from "vitest";
import { withFreshDatabase } from "./helpers/db";

// Only the cookie reading is replaced: the claims go through the real authorization code (tests/actions-authz.test.ts).
const claims = vi.hoisted(() => ({ current: null as null | { uid: string; sv: number } }));
vi.mock("@/lib/auth/session-token", () => ({
  readSessionClaims: async () => claims.current && { ...claims.current, sid: await (await import("./helpers/users")).liveSessionId(claims.current.uid) },
}));

const { absSign, encodeAbsSignature, encodeTransformKey, makeTransformKey, parsePolicy, policyAttributes } = await import("@/lib/abe");
const { currentVersions, vksFor } = await import("@/lib/authority/catalogue");
const { storeTransformKey } = await import("@/lib/authority/transform");
const { decideRequestAction } = await import("@/lib/actions/requests/decide-request");
const { createRequestAction } = await import("@/lib/actions/requests/create-request");
const { updateOrgSettingsAction } = await import("@/lib/actions/organisation/update-settings");
const { db } = await import("@/lib/db/client");
const { cspCall } = await import("@/lib/parties/csp-client");
const { myGrants, requestsForHospital } = await import("@/lib/portal/grants");
const { openRequest, submitRequestSignature } = await import("@/lib/portal/requests");
const { startUpload } = await import("@/lib/portal/uploads");
const { completeUpload, putChunk } = await import("@/lib/csp/uploads");
const { requestSignatureMessage, requestStatement } = await import("@/lib/requests/protocol");
const { makeCatalogue, personWithKeys } = await import("./helpers/authority");
const { prepareUpload } = await import("./helpers/upload");
const { makeUser } = await import("./helpers/users");

withFreshDatabase();
type Person = Awaited<ReturnType<typeof personWithKeys>>;
type Opened = Awaited<ReturnType<typeof openRequest>>;

const rows = Array.from({ length: 10 }, (_, i) => ({ patient: `D-${i}-4410`, value: 3 + i }));

async function sign(p: Person, req: Opened) {
  const signedAt = new Date().toISOString();
  const statement = requestStatement(req, signedAt);
  const { versions } = await currentVersions(policyAttributes(parsePolicy(req.absPolicy)));
  const signature = absSign({ message: requestSignatureMessage(statement), policy: req.absPolicy, gid: p.user.gid, keys: p.keys, vks: await vksFor(versions) });
  return { requestId: req.requestId, token: req.token, signature: encodeAbsSignature(signature), signatureVersions: versions, signedAt };
}

/** A person moved into `org` (makeUser gives each person an organisation of their own). */
async function colleague(p: Person, org: Person["user"]["organisation"]) {
  await db().user.update({ where: { id: p.user.id }, data: { organisationId: org.id } });
  return { ...p, user: { ...p.user, organisation: org } };
}

const as = async (p: Person | null) => {
  const u = p && (await db().user.findUniqueOrThrow({ where: { id: p.user.id }, select: { id: true, sessionVersion: true } }));
  claims.current = u ? { uid: u.id, sv: u.sessionVersion } : null;
};

describe("owner decisions: a named approver (and second reviewer) decide; the CSP waits for them", () => {
  let staff: Person, approver: Person, reviewer: Person, other: Person, alice: Person;
  let single = "",
    reviewed = "";

  async function upload(decision: { decisionMode: "hospital"; approverId: string; reviewerId?: string }) {
    const { chunks, body } = await prepareUpload(staff, "DEC.researcher", rows, "DSRC.hospital");
    const { id } = await startUpload(staff.user, { ...body, ...decision });
    for (const [i, c] of chunks.entries()) await putChunk({ uploadId: id, organisationId: staff.user.organisation.id, index: i, data: c });
    await completeUpload({ uploadId: id, organisationId: staff.user.organisation.id, actorId: staff.user.id });
    return id;
  }

  beforeAll(async () => {
    const admin = await makeUser("AUTHORITY_ADMIN");
    const ids = { ...(await makeCatalogue(admin.id, "DSRC", ["hospital"])), ...(await makeCatalogue(admin.id, "DEC", ["researcher"])) };
    staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["DSRC.hospital"]]);
    approver = await colleague(await personWithKeys(admin.id, "HOSPITAL_STAFF", []), staff.user.organisation);
    reviewer = await colleague(await personWithKeys(admin.id, "HOSPITAL_STAFF", []), staff.user.organisation);
    other = await colleague(await personWithKeys(admin.id, "HOSPITAL_STAFF", []), staff.user.organisation);
    alice = await personWithKeys(admin.id, "RESEARCHER", [ids["DEC.researcher"]]);
    const { tk } = makeTransformKey({ gid: alice.user.gid, keys: alice.keys });
    await storeTransformKey(alice.user, encodeTransformKey(tk), alice.versions);
    single = await upload({ decisionMode: "hospital", approverId: approver.user.id });
    reviewed = await upload({ decisionMode: "hospital", approverId: approver.user.id, reviewerId: reviewer.user.id });
  });

  it("the deciders must be two different approved staff of the uploading hospital; the organisation's default and terms are audited", async () => {
    const { body } = await prepareUpload(staff, "DEC.researcher", rows, "DSRC.hospital");
    await expect(startUpload(staff.user, { ...body, decisionMode: "hospital", approverId: alice.user.id })).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(
      startUpload(staff.user, { ...body, decisionMode: "hospital", approverId: approver.user.id, reviewerId: approver.user.id }),
    ).rejects.toMatchObject({ code: "VALIDATION" });
    await expect(startUpload(staff.user, { ...body, decisionMode: "hospital" })).rejects.toMatchObject({ code: "VALIDATION" });
    expect(await db().upload.count({ where: { id: body.uploadId } })).toBe(0);

    await as(staff);
    expect(await updateOrgSettingsAction({ decisionMode: "hospital", terms: "x" })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION", fieldErrors: { approverId: expect.any(Array) } },
    });
    const saved = await updateOrgSettingsAction({
      decisionMode: "hospital",
      approverId: approver.user.id,
      reviewerId: reviewer.user.id,
      terms: "No re-identification. Cite the hospital.",
    });
    expect(saved).toMatchObject({ ok: true });
    expect(await db().organisation.findUniqueOrThrow({ where: { id: staff.user.organisation.id } })).toMatchObject({
      decisionMode: "hospital",
      approverId: approver.user.id,
      terms: "No re-identification. Cite the hospital.",
    });
    expect(await db().auditEntry.count({ where: { action: "ORG_SETTINGS_CHANGED", subjectId: staff.user.organisation.id } })).toBe(1);
    await as(alice);
    expect(await updateOrgSettingsAction({ decisionMode: "automatic", terms: "" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
  });

  it("a request without the terms accepted is refused; with them, it records the acceptance and waits, after the ABS check, for the approver", async () => {
    await as(alice);
    expect(await createRequestAction({ uploadIds: [single], purpose: "decision study, unaccepted", acceptTerms: false as true })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION" },
    });
    const created = await createRequestAction({ uploadIds: [single], purpose: "decision study, approved", periodDays: 20, acceptTerms: true });
    if (!created.ok) throw new Error(created.error.message);
    const req = created.data;
    expect(req.awaitingDecision).toBe(true);
    expect(await db().accessRequest.findUniqueOrThrow({ where: { id: req.requestId } })).toMatchObject({
      termsAcceptedAt: expect.any(Date),
      termsDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    // the signature verifies, and nothing is decrypted: the CSP refuses by itself while the decision is pending
    expect(await submitRequestSignature(alice.user, await sign(alice, req))).toEqual([]);
    expect(await db().auditEntry.count({ where: { action: "ABS_VERIFIED", subjectId: req.requestId } })).toBe(1);
    expect(await db().accessRequestUpload.count({ where: { requestId: req.requestId, NOT: { partialDecryption: null } } })).toBe(0);
    const { releaseTransformKey } = await import("@/lib/authority/transform");
    await expect(
      cspCall("requests.partialDecrypt", { requestId: req.requestId, ...(await releaseTransformKey(alice.user.id)) }, { sub: alice.user.id }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/awaiting the hospital's decision/) });
    await expect(cspCall("requests.data", { requestId: req.requestId, token: req.token }, { sub: alice.user.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(
      await db().cspAuditEntry.count({ where: { action: "GRANT_REFUSED", subjectId: req.requestId, data: { path: ["reason"], equals: "pending" } } }),
    ).toBe(2);
    expect((await myGrants(alice.user)).find((g) => g.id === req.requestId)).toMatchObject({ decision: "pending" });
    const listed = (await requestsForHospital(approver.user)).find((r) => r.id === req.requestId)!;
    expect(listed).toMatchObject({
      decision: "pending",
      state: { label: "awaiting the hospital's decision" },
      decisions: [{ mine: true, role: "approver", approver: approver.user.name }],
    });
    expect((await requestsForHospital(other.user)).find((r) => r.id === req.requestId)!.decisions[0].mine).toBe(false);

    // a researcher, another staff member of the same hospital, and bad input are refused; nothing changes
    expect(await decideRequestAction({ requestId: req.requestId, decision: "approve" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    await as(other);
    expect(await decideRequestAction({ requestId: req.requestId, decision: "approve" })).toMatchObject({
      ok: false,
      error: { code: "FORBIDDEN", message: expect.stringMatching(/Only the approver or the second reviewer/) },
    });
    await as(approver);
    expect(await decideRequestAction({ requestId: req.requestId, decision: "deny", reason: " " })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION", fieldErrors: { reason: expect.any(Array) } },
    });
    expect(await decideRequestAction({ requestId: req.requestId, decision: "approve", records: 11 })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION", message: expect.stringMatching(/more than was asked/) },
    });
    expect(await decideRequestAction({ requestId: req.requestId, decision: "approve", periodDays: 21 })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION" },
    });
    expect(await decideRequestAction({ requestId: "7d0b7bd3-39a4-4c43-9d0e-1a1a1a1a1a1a", decision: "approve" })).toMatchObject({
      ok: false,
      error: { code: "NOT_FOUND" },
    });
    expect(await db().accessRequestUpload.findFirstOrThrow({ where: { requestId: req.requestId } })).toMatchObject({
      decision: "pending",
      approvedBy: null,
      recordIndices: null,
    });
    expect(await db().cspAuditEntry.count({ where: { subjectId: req.requestId, action: { startsWith: "REQUEST_", not: "REQUEST_CREATED" } } })).toBe(0);

    // the approver narrows (6 of 10 records, 10 of 20 days): the authority lets the CSP decrypt at once
    const approved = await decideRequestAction({ requestId: req.requestId, decision: "approve", records: 6, periodDays: 10 });
    expect(approved).toMatchObject({ ok: true, data: { state: "approved", decrypted: true } });
    const granted = await db().accessRequest.findUniqueOrThrow({ where: { id: req.requestId } });
    expect(granted).toMatchObject({ status: "READY", periodDays: 10, askedPeriodDays: 20 });
    expect(Math.round((granted.expiresAt!.getTime() - granted.decidedAt!.getTime()) / 86_400_000)).toBe(10);
    const [data] = await cspCall("requests.data", { requestId: req.requestId, token: req.token }, { sub: alice.user.id });
    expect(data.records.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(data.records.every((r) => r.proof !== null)).toBe(true);
    expect(await db().cspAuditEntry.findFirstOrThrow({ where: { action: "REQUEST_NARROWED", subjectId: req.requestId } })).toMatchObject({
      actorId: approver.user.id,
      data: { records: 6, periodDays: 10 },
    });
    expect(await db().auditEntry.findFirstOrThrow({ where: { action: "REQUEST_NARROWED", subjectId: req.requestId } })).toMatchObject({
      actorId: approver.user.id,
    });
    expect((await myGrants(alice.user)).find((g) => g.id === req.requestId)).toMatchObject({
      decision: "approved",
      narrowed: true,
      narrowedTo: [{ records: 6, asked: 10 }],
      askedPeriodDays: 20,
    });
    // decided once: a second decision is refused
    expect(await decideRequestAction({ requestId: req.requestId, decision: "deny", reason: "changed my mind" })).toMatchObject({
      ok: false,
      error: { code: "INVALID_STATE" },
    });
  });

  it("with a second reviewer, approval needs both people; a denial carries its reason to the researcher and the CSP serves nothing", async () => {
    const req = await openRequest(alice.user, { uploadIds: [reviewed], purpose: "two reviewers", acceptTerms: true });
    await submitRequestSignature(alice.user, await sign(alice, req));
    await as(approver);
    expect(await decideRequestAction({ requestId: req.requestId, decision: "approve" })).toMatchObject({
      ok: true,
      data: { state: "pending", decrypted: false },
    });
    expect(await decideRequestAction({ requestId: req.requestId, decision: "approve" })).toMatchObject({ ok: false, error: { code: "INVALID_STATE" } });
    await expect(cspCall("requests.data", { requestId: req.requestId, token: req.token }, { sub: alice.user.id })).rejects.toThrow(
      /awaiting the hospital's decision/,
    );
    await as(reviewer);
    expect(await decideRequestAction({ requestId: req.requestId, decision: "approve", records: 2 })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    expect(await decideRequestAction({ requestId: req.requestId, decision: "approve" })).toMatchObject({
      ok: true,
      data: { state: "approved", decrypted: true },
    });
    expect((await cspCall("requests.data", { requestId: req.requestId, token: req.token }, { sub: alice.user.id }))[0].records).toHaveLength(rows.length);
    expect(
      (
        await db().cspAuditEntry.findMany({
          where: { subjectId: req.requestId, action: { startsWith: "REQUEST_", not: "REQUEST_CREATED" } },
          orderBy: { seq: "asc" },
        })
      ).map((e) => e.action),
    ).toEqual(["REQUEST_APPROVED_FIRST", "REQUEST_REVIEWED"]);
    expect(
      (
        await db().auditEntry.findMany({
          where: { subjectId: req.requestId, action: { startsWith: "REQUEST_", not: "REQUEST_CREATED" } },
          orderBy: { seq: "asc" },
        })
      ).map((e) => e.action),
    ).toEqual(["REQUEST_APPROVED_FIRST", "REQUEST_REVIEWED"]);

    // denied (by the second reviewer after the approver's approval): refused at the CSP with the reason
    const denied = await openRequest(alice.user, { uploadIds: [reviewed], purpose: "denied study", acceptTerms: true });
    await submitRequestSignature(alice.user, await sign(alice, denied));
    await as(approver);
    await decideRequestAction({ requestId: denied.requestId, decision: "approve" });
    await as(reviewer);
    expect(await decideRequestAction({ requestId: denied.requestId, decision: "deny", reason: "Purpose outside our ethics approval" })).toMatchObject({
      ok: true,
      data: { state: "denied" },
    });
    await expect(cspCall("requests.data", { requestId: denied.requestId, token: denied.token }, { sub: alice.user.id })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/denied this request: Purpose outside our ethics approval/),
    });
    expect(await db().accessRequestUpload.count({ where: { requestId: denied.requestId, NOT: { partialDecryption: null } } })).toBe(0);
    expect(await db().cspAuditEntry.count({ where: { action: "CIPHERTEXTS_RELEASED", subjectId: denied.requestId } })).toBe(0);
    expect((await myGrants(alice.user)).find((g) => g.id === denied.requestId)).toMatchObject({
      decision: "denied",
      denialReasons: ["Purpose outside our ethics approval"],
    });
    expect(await db().cspAuditEntry.findFirstOrThrow({ where: { action: "REQUEST_DENIED", subjectId: denied.requestId } })).toMatchObject({
      actorId: reviewer.user.id,
      data: { reason: "Purpose outside our ethics approval" },
    });
    expect(await db().auditEntry.count({ where: { action: "REQUEST_DENIED", subjectId: denied.requestId } })).toBe(1);
  });
});
