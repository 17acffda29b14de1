import { afterEach, describe, expect, it } from "vitest";
import { partyEnvs, type Database } from "./bootstrap";

// A host that runs the CSP (or its clustering worker) without the authority
// (MEDSHARE_SERVICES=csp, docs/DEPLOY.md) must be given the authority's keys, not make some up.
const secrets = {
  nextauthSecret: "n".repeat(43),
  kek: Buffer.alloc(32, 7).toString("base64"),
  pgPassword: "p".repeat(24),
  ownerPassword: "o".repeat(24),
  authorityDbPassword: "a".repeat(24),
  cspDbPassword: "c".repeat(24),
  clusteringDbPassword: "k".repeat(24),
  partySigningKey: "22".repeat(32),
  ledgerSigningKey: "33".repeat(32),
  cspLogSigningKey: "44".repeat(32),
  aaServices: {},
};
const database = (urls: Database["urls"]): Database => ({
  url: urls.authority ?? "",
  urls,
  ownerUrl: "",
  embedded: false,
  stop: async () => {},
  secrets,
  aas: [],
});
const opts = { portalUrl: "https://portal.example", cspUrl: "https://csp.example" };
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe("partyEnvs on a host without the authority", () => {
  it("refuses to run the CSP without MEDSHARE_AUTHORITY_PUBLIC_KEY", () => {
    delete process.env.MEDSHARE_AUTHORITY_PUBLIC_KEY;
    expect(() => partyEnvs(database({ csp: "postgresql://csp@db/medshare" }), opts)).toThrow(/MEDSHARE_AUTHORITY_PUBLIC_KEY/);
  });

  it("gives the CSP the public key it was given and none of the authority's secrets", () => {
    process.env.MEDSHARE_AUTHORITY_PUBLIC_KEY = "ab".repeat(32);
    const { csp, authority } = partyEnvs(database({ csp: "postgresql://csp@db/medshare" }), opts);
    expect(authority).toBeUndefined();
    expect(csp).toMatchObject({ MEDSHARE_ROLE: "csp", DATABASE_URL: "postgresql://csp@db/medshare", MEDSHARE_AUTHORITY_PUBLIC_KEY: "ab".repeat(32) });
    for (const name of ["MEDSHARE_KEK", "NEXTAUTH_SECRET", "MEDSHARE_PARTY_SIGNING_KEY", "MEDSHARE_LEDGER_SIGNING_KEY"]) expect(csp?.[name]).toBeUndefined();
  });

  it("refuses to run the clustering worker alone without the CSP's signing key and the authority's URL", () => {
    delete process.env.MEDSHARE_CSP_LOG_SIGNING_KEY;
    delete process.env.MEDSHARE_AUTHORITY_URL;
    expect(() => partyEnvs(database({ clustering: "postgresql://k@db/medshare" }), opts)).toThrow(/MEDSHARE_CSP_LOG_SIGNING_KEY/);
    process.env.MEDSHARE_CSP_LOG_SIGNING_KEY = "55".repeat(32);
    expect(() => partyEnvs(database({ clustering: "postgresql://k@db/medshare" }), opts)).toThrow(/MEDSHARE_AUTHORITY_URL/);
  });

  it("issue #12: gives the clustering worker no KEK and none of the authority's secrets, even on the authority's host", () => {
    process.env.MEDSHARE_KEK = secrets.kek;
    const { clustering } = partyEnvs(
      database({ authority: "postgresql://a@db/medshare", csp: "postgresql://csp@db/medshare", clustering: "postgresql://k@db/medshare" }),
      opts,
    );
    expect(clustering).toMatchObject({
      DATABASE_URL: "postgresql://k@db/medshare",
      MEDSHARE_CSP_LOG_SIGNING_KEY: "44".repeat(32),
      MEDSHARE_AUTHORITY_URL: opts.portalUrl,
    });
    for (const name of ["MEDSHARE_KEK", "NEXTAUTH_SECRET", "MEDSHARE_PARTY_SIGNING_KEY", "MEDSHARE_LEDGER_SIGNING_KEY"])
      expect(clustering?.[name]).toBeUndefined();
    expect(Object.values(clustering ?? {})).not.toContain(secrets.kek);
  });
});
