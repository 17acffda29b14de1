import { describe, expect, it, vi } from "vitest";
import { withFreshDatabase } from "./helpers/db";

// Only the cookie reading is replaced: the claims go through the real authorization code (tests/actions-authz.test.ts).
const claims = vi.hoisted(() => ({ current: null as null | { uid: string; sv: number } }));
vi.mock("@/lib/auth/session-token", () => ({
  readSessionClaims: async () => claims.current && { ...claims.current, sid: await (await import("./helpers/users")).liveSessionId(claims.current.uid) },
}));

const { policyReadersAction } = await import("@/lib/actions/uploads/policy-readers");
const { revokeAttribute } = await import("@/lib/authority/keys");
const { db } = await import("@/lib/db/client");
const { makeCatalogue, personWithKeys } = await import("./helpers/authority");
const { makeUser } = await import("./helpers/users");

withFreshDatabase();

const as = (u: { id: string; sessionVersion: number }) => {
  claims.current = { uid: u.id, sv: u.sessionVersion };
};

describe("the policy builder's 'who can read': a count of approved holders and the authorities that could issue such keys", () => {
  it("counts approved people holding a satisfying set (not pending ones, not revoked grants) and names the authority groups; refuses bad policies and other roles", async () => {
    const admin = await makeUser("AUTHORITY_ADMIN");
    const a = await makeCatalogue(admin.id, "RDA", ["researcher", "cardiology"]);
    const b = await makeCatalogue(admin.id, "RDB", ["oncology"]);
    await personWithKeys(admin.id, "RESEARCHER", [a["RDA.researcher"], a["RDA.cardiology"]]);
    await personWithKeys(admin.id, "RESEARCHER", [a["RDA.researcher"], b["RDB.oncology"]]);
    const revoked = await personWithKeys(admin.id, "RESEARCHER", [a["RDA.researcher"], a["RDA.cardiology"]]);
    await revokeAttribute({ adminId: admin.id, userId: revoked.user.id, attributeId: a["RDA.cardiology"], reason: "left the study" });
    // a pending registration holding the attributes (granted before approval): not a reader yet
    const pending = await makeUser("RESEARCHER", "PENDING");
    await db().attributeGrant.createMany({ data: [a["RDA.researcher"], a["RDA.cardiology"]].map((attributeId) => ({ userId: pending.id, attributeId })) });

    const staff = await makeUser("HOSPITAL_STAFF");
    as(staff);
    const one = await policyReadersAction({ policy: "RDA.researcher AND RDA.cardiology" });
    expect(one).toEqual({ ok: true, data: { people: 1, authorityGroups: [["RDA"]], authorityNames: { RDA: "Authority RDA" } } });

    const both = await policyReadersAction({ policy: "RDA.researcher AND (RDA.cardiology OR RDB.oncology)" });
    expect(both.ok && both.data.people).toBe(2);
    expect(both.ok && both.data.authorityGroups).toEqual([["RDA"]]);

    const across = await policyReadersAction({ policy: "RDA.cardiology AND RDB.oncology" });
    expect(across.ok && across.data).toEqual({ people: 0, authorityGroups: [["RDA", "RDB"]], authorityNames: { RDA: "Authority RDA", RDB: "Authority RDB" } });

    const unknown = await policyReadersAction({ policy: "RDA.researcher AND RDX.nobody" });
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.error.code).toBe("VALIDATION");
    expect(!unknown.ok && unknown.error.message).toContain("RDX.nobody");
    const malformed = await policyReadersAction({ policy: "RDA.researcher AND (" });
    expect(!malformed.ok && malformed.error.code).toBe("VALIDATION");

    // only the uploader's role asks; a researcher is refused
    const researcher = await makeUser("RESEARCHER");
    as(researcher);
    const refused = await policyReadersAction({ policy: "RDA.researcher" });
    expect(!refused.ok && refused.error.code).toBe("FORBIDDEN");
  });
});
