import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { appendAudit } from "@/lib/ledger/append";
import { entryHash, GENESIS_HASH } from "@/lib/ledger/canonical";
import { signedHead } from "@/lib/ledger/log-keys";
import { fromHex, verifyConsistency, verifyInclusion } from "@/lib/ledger/merkle";
import { signTreeHead } from "@/lib/ledger/sth";
import { consistency, entryLeaf, inclusionProof } from "@/lib/ledger/tree";
import { localLogSource, witnessOnce, witnessState, type LogSource } from "@/lib/ledger/witness";
import { rawSql, withFreshDatabase } from "./helpers/db";

// Issue #16: a superuser who bypasses the append-only trigger (rewrite and re-hash, tail
// deletion, even rebuilding the Merkle node table) is caught by the other party's witness.
const database = withFreshDatabase();

async function appendMany(n: number, tag: string) {
  for (let i = 0; i < n; i++)
    await db().$transaction((tx) => appendAudit(tx, { actorId: null, action: i % 2 ? "ABS_REJECTED" : "KEY_ISSUED", subjectType: "test", data: { tag, i } }));
}

/** The attacker's full rewrite: trigger off, `edit`, every chain hash recomputed, the node table rebuilt. */
async function superuserRewrite(edit: string) {
  type Row = { seq: string; at: Date; actor_id: string | null; action: string; subject_type: string; subject_id: string | null; data: unknown };
  // A superuser switches the append-only triggers off for its session.
  await rawSql(database.url(), `SET session_replication_role = replica; ${edit}`);
  const edited = (await rawSql<Row>(database.url(), `SELECT * FROM ledger.audit_entries ORDER BY seq`)).rows;
  let prev = GENESIS_HASH;
  const updates: string[] = [];
  for (const r of edited) {
    const hash = entryHash(prev, {
      seq: BigInt(r.seq),
      at: r.at,
      actorId: r.actor_id,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      data: r.data,
    });
    updates.push(`UPDATE ledger.audit_entries SET prev_hash = '${prev}', hash = '${hash}' WHERE seq = ${r.seq}`);
    prev = hash;
  }
  await rawSql(
    database.url(),
    [
      "SET session_replication_role = replica",
      ...updates,
      "DELETE FROM ledger.log_nodes",
      `INSERT INTO ledger.log_nodes (level, index, hash) SELECT 0, seq - 1, sha256('\\x00'::bytea || decode(hash, 'hex')) FROM ledger.audit_entries`,
      ...Array.from(
        { length: 20 },
        (_, l) =>
          `INSERT INTO ledger.log_nodes (level, index, hash) SELECT ${l + 1}, a.index / 2, sha256('\\x01'::bytea || a.hash || b.hash)
         FROM ledger.log_nodes a JOIN ledger.log_nodes b ON b.level = a.level AND b.index = a.index + 1 WHERE a.level = ${l} AND a.index % 2 = 0`,
      ),
    ].join(";\n"),
  );
}

const authorityLog = () => localLogSource(db(), "authority");
const alerts = (action: string) => db().cspAuditEntry.count({ where: { action, subjectId: "authority" } });
const resetWitness = () => rawSql(database.url(), "DELETE FROM csp.log_witness");

describe("the authority's log as an RFC 9162 tree", () => {
  it("proves each entry's inclusion and consistency across an append, against signed heads", async () => {
    await appendMany(11, "a");
    const first = await signedHead(db(), "authority");
    expect(first.size).toBe(11);
    const entries = await db().auditEntry.findMany({ orderBy: { seq: "asc" } });
    for (const e of entries) {
      const index = Number(e.seq) - 1;
      const proof = (await inclusionProof(db(), "authority", index, 11)).map(fromHex);
      expect(verifyInclusion(entryLeaf(e.hash), index, 11, proof, fromHex(first.root))).toBe(true);
    }
    await appendMany(1, "b");
    const second = await signedHead(db(), "authority");
    expect(second.size).toBe(12);
    const proof = (await consistency(db(), "authority", 11, 12)).map(fromHex);
    expect(verifyConsistency(11, 12, proof, fromHex(first.root), fromHex(second.root))).toBe(true);
    expect(verifyConsistency(11, 12, proof, fromHex(second.root), fromHex(second.root))).toBe(false);
  });

  it("a witness accepts a head, then a grown head with a valid consistency proof", async () => {
    expect((await witnessOnce(db(), "csp", authorityLog())).outcome).toBe("ok");
    await appendMany(3, "c");
    const result = await witnessOnce(db(), "csp", authorityLog());
    expect(result.outcome).toBe("ok");
    expect(result.state).toMatchObject({ size: 15, status: "ok" });
    expect(await witnessState(db(), "csp")).toMatchObject({ log: "authority", size: 15 });
  });

  it("detects a superuser's rewrite (ABS_REJECTED -> ABS_VERIFIED, re-hashed, tree rebuilt) as a fork", async () => {
    const victim = await db().auditEntry.findFirst({ where: { action: "ABS_REJECTED" }, orderBy: { seq: "asc" } });
    await superuserRewrite(`UPDATE ledger.audit_entries SET action = 'ABS_VERIFIED' WHERE seq = ${victim!.seq}`);
    const result = await witnessOnce(db(), "csp", authorityLog());
    expect(result.outcome).toBe("fork");
    expect(result.state).toMatchObject({ size: 15, status: "fork" });
    expect(await alerts("LOG_FORK_DETECTED")).toBe(1);
    // Grown further, the rewritten log still cannot prove it extends the head the witness kept.
    await appendMany(2, "d");
    expect((await witnessOnce(db(), "csp", authorityLog())).outcome).toBe("fork");
    expect((await witnessState(db(), "csp"))?.size).toBe(15);
    expect(await alerts("LOG_FORK_DETECTED")).toBe(1); // one alert per incident
  });

  it("detects a tail deletion (entries and their tree nodes) as a rollback, and regrowing it as a fork", async () => {
    await resetWitness();
    expect((await witnessOnce(db(), "csp", authorityLog())).outcome).toBe("ok");
    const size = (await signedHead(db(), "authority")).size;
    await superuserRewrite(`DELETE FROM ledger.audit_entries WHERE seq > ${size - 5}`);
    const result = await witnessOnce(db(), "csp", authorityLog());
    expect(result.outcome).toBe("rollback");
    expect(result.problem).toMatch(new RegExp(`shrank from ${size} to ${size - 5}`));
    expect(await alerts("LOG_ROLLBACK_DETECTED")).toBe(1);
    await appendMany(5, "e");
    expect((await signedHead(db(), "authority")).size).toBe(size);
    expect((await witnessOnce(db(), "csp", authorityLog())).outcome).toBe("fork");
  });

  it("refuses a head signed with another key, and one that names another log", async () => {
    await resetWitness();
    expect((await witnessOnce(db(), "csp", authorityLog())).outcome).toBe("ok");
    const real = await signedHead(db(), "authority");
    const forger: LogSource = { head: async () => signTreeHead({ ...real, root: "ab".repeat(32) }, randomBytes(32)), consistency: async () => ({ proof: [] }) };
    const result = await witnessOnce(db(), "csp", forger);
    expect(result.outcome).toBe("rejected");
    expect(await alerts("LOG_HEAD_REJECTED")).toBe(1);
    expect((await witnessState(db(), "csp"))?.root).toBe(real.root);
    const wrongLog: LogSource = { head: async () => ({ ...real, log: "csp" }), consistency: async () => ({ proof: [] }) };
    expect((await witnessOnce(db(), "csp", wrongLog)).outcome).toBe("rejected");
    // Back to the genuine log: agreement again.
    expect((await witnessOnce(db(), "csp", authorityLog())).outcome).toBe("ok");
  });

  it("the authority witnesses the CSP's log the same way", async () => {
    expect((await witnessOnce(db(), "authority", localLogSource(db(), "csp"))).outcome).toBe("ok");
    const other: LogSource = { head: async () => ({ ...(await signedHead(db(), "csp")), root: "cd".repeat(32) }), consistency: async () => ({ proof: [] }) };
    expect((await witnessOnce(db(), "authority", other)).outcome).toBe("rejected");
    expect(await db().auditEntry.count({ where: { action: "LOG_HEAD_REJECTED", subjectId: "csp" } })).toBe(1);
  });
});

describe("an upload's place in the CSP's log, as the browser checks it", () => {
  const uploadId = "7d1f3a52-1b0e-4c8e-9a55-0f5b7c9e2a11";
  const org = "0b7e2f4c-8a3d-4e61-b1f2-9c8d7e6f5a40";
  const stored = {
    uploadId,
    records: 3,
    organisationId: org,
    digest: "aa".repeat(32),
    recordsRoot: "bb".repeat(32),
    policy: "HA1:Cardiology",
    location: `csp:record_ciphertexts/${uploadId}`,
  };

  it("verifies the UPLOAD_STORED entry's inclusion under the CSP's signed head, and refuses anything else", async () => {
    const { appendCspAudit } = await import("@/lib/ledger/append");
    const { uploadLogProof } = await import("@/lib/ledger/upload-proof");
    const { checkUploadInLog } = await import("@/lib/ledger/check-upload");
    const { logPublicKey } = await import("@/lib/ledger/log-keys");
    await db().$transaction((tx) => appendCspAudit(tx, { actorId: null, action: "UPLOAD_STORED", subjectType: "upload", subjectId: uploadId, data: stored }));
    for (let i = 0; i < 4; i++)
      await db().$transaction((tx) => appendCspAudit(tx, { actorId: null, action: "REQUEST_CREATED", subjectType: "request", data: { i } }));
    const key = logPublicKey("csp")!;
    const expected = { uploadId, digest: stored.digest, recordsRoot: stored.recordsRoot };
    const first = await uploadLogProof(db(), uploadId, org);
    const ok = checkUploadInLog(first, key, expected);
    expect(ok.ok).toBe(true);
    await expect(uploadLogProof(db(), uploadId, "11111111-1111-4111-8111-111111111111")).rejects.toThrow(/not in the CSP's log/);

    const reason = (p: typeof first, e = expected, kept: { size: number; root: string } | null = null) => {
      const r = checkUploadInLog(p, key, e, kept);
      return r.ok ? "ok" : r.reason;
    };
    expect(reason(first, { ...expected, digest: "cc".repeat(32) })).toMatch(/another envelope digest/);
    expect(reason(first, { ...expected, recordsRoot: "cc".repeat(32) })).toMatch(/another records root/);
    expect(reason(first, { ...expected, uploadId: "7d1f3a52-1b0e-4c8e-9a55-0f5b7c9e2a12" })).toMatch(/not this upload's/);
    // The entry's content changed (the digest the browser expects, but not what was logged).
    const forgedEntry = { ...first, entry: { ...first.entry, data: { ...first.entry.data, digest: "cc".repeat(32) } } };
    expect(reason(forgedEntry, { ...expected, digest: "cc".repeat(32) })).toMatch(/inclusion proof does not lead/);
    expect(reason({ ...first, proof: first.proof.slice(1) })).toMatch(/inclusion proof does not lead/);
    expect(reason({ ...first, sth: { ...first.sth, root: "dd".repeat(32) } })).toMatch(/not signed by the CSP's log key/);
    expect(checkUploadInLog(first, logPublicKey("authority")!, expected).ok).toBe(false);

    // The browser keeps the head; the next check proves the log grew consistently from it.
    const kept = { size: first.sth.size, root: first.sth.root };
    await db().$transaction((tx) => appendCspAudit(tx, { actorId: null, action: "REQUEST_CREATED", subjectType: "request", data: { later: true } }));
    const second = await uploadLogProof(db(), uploadId, org, kept.size);
    expect(second.sth.size).toBe(kept.size + 1);
    expect(reason(second, expected, kept)).toBe("ok");
    expect(reason(second, expected, { size: kept.size, root: "ee".repeat(32) })).toMatch(/fork/);
    expect(reason(second, expected, { size: kept.size + 5, root: kept.root })).toMatch(/rollback/);
  });
});
