import { beforeAll, describe, expect, it, vi } from "vitest";
import { withFreshDatabase } from "./helpers/db";
import { makeUser } from "./helpers/users";

// Only the cookie reading is replaced: the claims then go through the real authorization code,
// which re-reads the user from the real database.
const claims = vi.hoisted(() => ({ current: null as null | { uid: string; sv: number } }));
// A cookie names a live server-side session (portal.sessions); the mock signs in with one.
vi.mock("@/lib/auth/session-token", () => ({
  readSessionClaims: async () => claims.current && { ...claims.current, sid: await (await import("./helpers/users")).liveSessionId(claims.current.uid) },
}));

const { decideRegistrationAction } = await import("@/lib/actions/registration/decide");
const { verifyLedgerAction } = await import("@/lib/actions/ledger/verify");
const { db } = await import("@/lib/db/client");
const { withdrawGrantAction } = await import("@/lib/actions/requests/withdraw-grant");
const { renewGrantAction } = await import("@/lib/actions/requests/renew-grant");
const { askRenewalAction } = await import("@/lib/actions/requests/ask-renewal");
const { reportRequestOutcomeAction } = await import("@/lib/actions/requests/report-outcome");
const { createRequestAction } = await import("@/lib/actions/requests/create-request");

withFreshDatabase();

describe("server actions check authorization themselves", () => {
  let applicantId = "";
  beforeAll(async () => {
    applicantId = (await makeUser("HOSPITAL_STAFF", "PENDING")).id;
  });

  const as = (u: { id: string; sessionVersion: number } | null) => {
    claims.current = u ? { uid: u.id, sv: u.sessionVersion } : null;
  };

  it("refuses a signed-out caller", async () => {
    as(null);
    const r = await decideRegistrationAction({ userId: applicantId, decision: "APPROVE" });
    expect(r).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
    expect(await verifyLedgerAction({})).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
  });

  it("refuses an unapproved authority admin", async () => {
    as(await makeUser("AUTHORITY_ADMIN", "PENDING"));
    expect(await decideRegistrationAction({ userId: applicantId, decision: "APPROVE" })).toMatchObject({ ok: false, error: { code: "NOT_APPROVED" } });
    expect(await verifyLedgerAction({})).toMatchObject({ ok: false, error: { code: "NOT_APPROVED" } });
  });

  it("refuses approved people in the wrong role", async () => {
    for (const role of ["HOSPITAL_STAFF", "RESEARCHER"] as const) {
      as(await makeUser(role, "APPROVED"));
      expect(await decideRegistrationAction({ userId: applicantId, decision: "APPROVE" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
      expect(await verifyLedgerAction({})).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    }
  });

  it("refuses a revoked admin and a stale session version", async () => {
    const revoked = await makeUser("AUTHORITY_ADMIN", "REVOKED");
    as(revoked);
    expect(await decideRegistrationAction({ userId: applicantId, decision: "APPROVE" })).toMatchObject({ ok: false, error: { code: "NOT_APPROVED" } });
    const admin = await makeUser("AUTHORITY_ADMIN", "APPROVED");
    await db().user.update({ where: { id: admin.id }, data: { sessionVersion: { increment: 1 } } });
    as(admin); // still carries the old version
    expect(await decideRegistrationAction({ userId: applicantId, decision: "APPROVE" })).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
  });

  it("nothing changed after the refusals", async () => {
    expect((await db().user.findUniqueOrThrow({ where: { id: applicantId } })).status).toBe("PENDING");
    expect(await db().auditEntry.count({ where: { action: "REGISTRATION_APPROVED" } })).toBe(0);
  });

  it("lets an approved admin decide, validates input, and audits in the same transaction", async () => {
    as(await makeUser("AUTHORITY_ADMIN", "APPROVED"));
    const bad = await decideRegistrationAction({ userId: applicantId, decision: "REJECT", reason: "" });
    expect(bad).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    const ok = await decideRegistrationAction({ userId: applicantId, decision: "APPROVE" });
    expect(ok).toMatchObject({ ok: true, data: { status: "APPROVED" } });
    expect(await db().auditEntry.count({ where: { action: "REGISTRATION_APPROVED", subjectId: applicantId } })).toBe(1);
    // deciding twice is refused and writes nothing
    const again = await decideRegistrationAction({ userId: applicantId, decision: "REJECT", reason: "changed my mind" });
    expect(again).toMatchObject({ ok: false, error: { code: "INVALID_STATE" } });
    expect(await db().auditEntry.count({ where: { action: "REGISTRATION_REJECTED" } })).toBe(0);
    expect(await verifyLedgerAction({})).toMatchObject({ ok: true, data: { ok: true } });
  });
});

describe("grant and outcome actions check role and input before anything reaches the CSP", () => {
  const as = (u: { id: string; sessionVersion: number } | null) => {
    claims.current = u ? { uid: u.id, sv: u.sessionVersion } : null;
  };
  const requestId = "00000000-0000-4000-8000-000000000000";

  it("refuses the signed-out and the wrong role", async () => {
    as(null);
    expect(await withdrawGrantAction({ requestId, reason: "no consent" })).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
    expect(await reportRequestOutcomeAction({ requestId, outcome: "decrypted" })).toMatchObject({ ok: false, error: { code: "UNAUTHENTICATED" } });
    as(await makeUser("RESEARCHER", "APPROVED"));
    expect(await withdrawGrantAction({ requestId, reason: "no consent" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    expect(await renewGrantAction({ requestId })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    as(await makeUser("HOSPITAL_STAFF", "APPROVED"));
    expect(await askRenewalAction({ requestId })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
    expect(await reportRequestOutcomeAction({ requestId, outcome: "decrypted" })).toMatchObject({ ok: false, error: { code: "FORBIDDEN" } });
  });

  it("bad input is a validation error, not a server error", async () => {
    as(await makeUser("HOSPITAL_STAFF", "APPROVED"));
    expect(await withdrawGrantAction({ requestId: "not-a-uuid", reason: "no consent" })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    expect(await withdrawGrantAction({ requestId, reason: "a\u0000b" })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    expect(await withdrawGrantAction({ requestId, reason: " " })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    as(await makeUser("RESEARCHER", "APPROVED"));
    expect(await reportRequestOutcomeAction({ requestId, outcome: "stolen" as "decrypted" })).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    for (const periodDays of [0, 181, 2.5])
      expect(await createRequestAction({ uploadIds: [requestId], purpose: "a long enough purpose", periodDays, acceptTerms: true })).toMatchObject({
        ok: false,
        error: { code: "VALIDATION" },
      });
    // the hospitals' terms of use must be accepted: refused before anything reaches the CSP
    expect(await createRequestAction({ uploadIds: [requestId], purpose: "a long enough purpose", acceptTerms: false as true })).toMatchObject({
      ok: false,
      error: { code: "VALIDATION", fieldErrors: { acceptTerms: [expect.stringMatching(/terms of use/)] } },
    });
    expect(await db().requestOutcome.count()).toBe(0);
  });
});
