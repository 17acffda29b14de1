import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateWrapKeyPair } from "@/lib/abe";
import { aaCall } from "@/lib/aa/client";
import { witnessAa } from "@/lib/aa/witness";
import { db } from "@/lib/db/client";
import { entryHash, GENESIS_HASH } from "@/lib/ledger/canonical";
import { fromHex, verifyConsistency } from "@/lib/ledger/merkle";
import { publicKeyHex, signedTreeHeadSchema, treeHeadSignatureValid } from "@/lib/ledger/sth";
import { rawSql, withFreshDatabase } from "./helpers/db";

/**
 * Each attribute authority's own log (lib/aa/log.ts): one entry per state change in its
 * transaction, append-only for its service role, and witnessed by the portal over HTTP, which
 * catches the AA operator's rewrite (fork), truncation (rollback) and swapped log key.
 */
const database = withFreshDatabase();
const aa = (name: string) => database.aas().find((a) => a.name === name)!;
type Entry = {
  seq: string;
  at: Date;
  actor_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  data: unknown;
  prev_hash: string;
  hash: string;
};
const entries = async (name: string) => (await rawSql<Entry>(aa(name).ownerUrl, "SELECT * FROM aa.log_entries ORDER BY seq")).rows;
const count = async (name: string, table: string) => Number((await rawSql(aa(name).ownerUrl, `SELECT count(*) FROM aa.${table}`)).rows[0].count);
const alerts = (action: string, log: string) => db().auditEntry.count({ where: { action, subjectId: log } });

/** The operator's rewrite with the owner role: triggers off, `edit`, every hash recomputed, the tree rebuilt, triggers on. */
async function ownerRewrite(name: string, edit: string) {
  const url = aa(name).ownerUrl;
  await rawSql(url, `ALTER TABLE aa.log_entries DISABLE TRIGGER USER; ALTER TABLE aa.log_nodes DISABLE TRIGGER USER; ${edit}`);
  let prev = GENESIS_HASH;
  const updates: string[] = [];
  for (const r of await entries(name)) {
    const hash = entryHash(prev, {
      seq: BigInt(r.seq),
      at: r.at,
      actorId: r.actor_id,
      action: r.action,
      subjectType: r.subject_type,
      subjectId: r.subject_id,
      data: r.data,
    });
    updates.push(`UPDATE aa.log_entries SET prev_hash = '${prev}', hash = '${hash}' WHERE seq = ${r.seq}`);
    prev = hash;
  }
  await rawSql(
    url,
    [
      ...updates,
      "DELETE FROM aa.log_nodes",
      `INSERT INTO aa.log_nodes (level, index, hash) SELECT 0, seq - 1, sha256('\\x00'::bytea || decode(hash, 'hex')) FROM aa.log_entries`,
      ...Array.from(
        { length: 20 },
        (_, l) =>
          `INSERT INTO aa.log_nodes (level, index, hash) SELECT ${l + 1}, a.index / 2, sha256('\\x01'::bytea || a.hash || b.hash)
         FROM aa.log_nodes a JOIN aa.log_nodes b ON b.level = a.level AND b.index = a.index + 1 WHERE a.level = ${l} AND a.index % 2 = 0`,
      ),
      "ALTER TABLE aa.log_entries ENABLE TRIGGER USER",
      "ALTER TABLE aa.log_nodes ENABLE TRIGGER USER",
    ].join(";\n"),
  );
}

const wrap = () => Buffer.from(generateWrapKeyPair().publicKey).toString("base64url");

describe("an attribute authority's own log", () => {
  it("every op appends exactly one chained entry in its transaction; a failing op appends none; no secret is logged", async () => {
    const step = async (work: () => Promise<unknown>, action: string | null) => {
      const before = await entries("HA1");
      const nonces = await count("HA1", "token_nonces");
      const outcome = await work().then(
        (v) => v,
        (e: unknown) => e,
      );
      const after = await entries("HA1");
      if (action === null) {
        expect(outcome).toBeInstanceOf(Error);
        expect(after).toEqual(before);
        expect(await count("HA1", "token_nonces")).toBe(nonces); // the nonce went with the rolled-back transaction
      } else {
        expect(after.length).toBe(before.length + 1);
        expect(after.at(-1)!.action).toBe(action);
      }
      return outcome;
    };
    await step(() => aaCall("HA1", "aa.addNamespace", { code: "HA1" }), "NAMESPACE_ADDED");
    await step(() => aaCall("HA1", "aa.addNamespace", { code: "HA1" }), "NAMESPACE_ADDED"); // idempotent, still a call it answered
    await step(() => aaCall("HA1", "aa.setupAttribute", { attribute: "NRI.elsewhere" }), null); // a namespace it does not run
    await step(() => aaCall("HA1", "aa.setupAttribute", { attribute: "HA1.cardiology" }), "ATTRIBUTE_SET_UP");
    await step(() => aaCall("HA1", "aa.rotateAttribute", { attribute: "HA1.cardiology", from: 5 }), null); // wrong version
    await step(() => aaCall("HA1", "aa.rotateAttribute", { attribute: "HA1.cardiology", from: 1 }), "ATTRIBUTE_ROTATED");
    const sub = randomUUID();
    const issued = (await step(
      () => aaCall("HA1", "aa.issueKey", { attribute: "HA1.cardiology", version: 2 }, { sub, gid: "alice.lab", wrap: wrap() }),
      "KEY_ISSUED",
    )) as { wrapped: string };
    await step(() => aaCall("HA1", "aa.issueKey", { attribute: "HA1.cardiology", version: 9 }, { sub, gid: "alice.lab", wrap: wrap() }), null);

    const log = await entries("HA1");
    // The chain and the tree: each entry's hash recomputes from the one before; one leaf per entry.
    let prev = GENESIS_HASH;
    for (const r of log) {
      expect(r.prev_hash).toBe(prev);
      const fields = {
        seq: BigInt(r.seq),
        at: r.at,
        actorId: r.actor_id,
        action: r.action,
        subjectType: r.subject_type,
        subjectId: r.subject_id,
        data: r.data,
      };
      expect(r.hash).toBe(entryHash(prev, fields));
      prev = r.hash;
    }
    expect(Number((await rawSql(aa("HA1").ownerUrl, "SELECT count(*) FROM aa.log_nodes WHERE level = 0")).rows[0].count)).toBe(log.length);
    const key = log.at(-1)!;
    expect([key.actor_id, key.subject_id, key.data]).toMatchObject([sub, "HA1.cardiology", { version: 2, gid: "alice.lab", op: "aa.issueKey" }]);
    // Neither the wrapped key, nor a sealed secret, nor the KEK is in the log.
    const text = JSON.stringify(log);
    const sealed = (await rawSql<{ s: Buffer }>(aa("HA1").ownerUrl, "SELECT sealed_secret AS s FROM aa.key_versions")).rows;
    for (const needle of [issued.wrapped, aa("HA1").kek.toString("base64"), aa("HA1").kek.toString("hex"), ...sealed.map((r) => r.s.toString("hex"))])
      expect(text.includes(needle)).toBe(false);
  });

  it("its service role may add rows but not change, delete or truncate them; the owner is refused too while the triggers stand", async () => {
    const { databaseUrl, ownerUrl } = aa("HA1");
    for (const sql of [
      "UPDATE aa.log_entries SET action = 'NOTHING' WHERE seq = 1",
      "DELETE FROM aa.log_entries WHERE seq = 1",
      "TRUNCATE aa.log_entries",
      "UPDATE aa.log_nodes SET hash = '\\x00' WHERE level = 0 AND index = 0",
      "DELETE FROM aa.log_nodes",
    ]) {
      await expect(rawSql(databaseUrl, sql), sql).rejects.toThrow(/permission denied/);
      await expect(rawSql(ownerUrl, sql), sql).rejects.toThrow(/append-only/);
    }
    expect((await rawSql(databaseUrl, "SELECT count(*) FROM aa.log_entries")).rows[0].count).not.toBe("0");
  });

  it("serves signed heads and consistency proofs over HTTP under the key it publishes", async () => {
    const { url, logKey } = aa("HA1");
    const health = (await (await fetch(`${url}/api/aa/health`)).json()) as { logPublicKey: string };
    expect(health.logPublicKey).toBe(publicKeyHex(logKey));
    const first = signedTreeHeadSchema.parse(await (await fetch(`${url}/api/aa/log/sth`)).json());
    expect(first.log).toBe("aa:HA1");
    expect(treeHeadSignatureValid(first, health.logPublicKey)).toBe(true);
    await aaCall("HA1", "aa.setupAttribute", { attribute: "HA1.genomics" });
    const second = signedTreeHeadSchema.parse(await (await fetch(`${url}/api/aa/log/sth`)).json());
    expect(second.size).toBe(first.size + 1);
    const { proof } = (await (await fetch(`${url}/api/aa/log/consistency?first=${first.size}&second=${second.size}`)).json()) as { proof: string[] };
    expect(verifyConsistency(first.size, second.size, proof.map(fromHex), fromHex(first.root), fromHex(second.root))).toBe(true);
    expect((await fetch(`${url}/api/aa/log/consistency?first=${second.size + 1}&second=${second.size + 2}`)).status).toBe(422);
    // NRI's log is its own: another name, another key.
    const nri = signedTreeHeadSchema.parse(await (await fetch(`${aa("NRI").url}/api/aa/log/sth`)).json());
    expect(nri.log).toBe("aa:NRI");
    expect(treeHeadSignatureValid(nri, health.logPublicKey)).toBe(false);
  });

  it("the portal witnesses a growing AA log, and flags the operator's rewrite as a fork and a truncation as a rollback", async () => {
    // No key configured in this test: the portal pins the key of the first head it accepts.
    delete process.env.MEDSHARE_AA_LOG_PUBLIC_KEYS;
    const first = await witnessAa(db(), "HA1");
    expect(first.outcome).toBe("ok");
    expect(first.state).toMatchObject({ log: "aa:HA1", status: "ok", publicKey: publicKeyHex(aa("HA1").logKey) });
    await aaCall("HA1", "aa.setupAttribute", { attribute: "HA1.neurology" });
    await aaCall("HA1", "aa.rotateAttribute", { attribute: "HA1.neurology", from: 1 });
    const grown = await witnessAa(db(), "HA1");
    expect(grown.outcome).toBe("ok");
    expect(grown.state!.size).toBe(first.state!.size + 2);

    // The operator (owner role) rewrites whom a key was issued to, re-hashes the chain, rebuilds the tree.
    const victim = (await entries("HA1")).find((e) => e.action === "KEY_ISSUED")!;
    await ownerRewrite("HA1", `UPDATE aa.log_entries SET data = jsonb_set(data, '{gid}', '"someone.else"') WHERE seq = ${victim.seq}`);
    const forked = await witnessAa(db(), "HA1");
    expect(forked.outcome).toBe("fork");
    expect(forked.problem).toMatch(/attribute authority HA1's log/);
    expect(await alerts("LOG_FORK_DETECTED", "aa:HA1")).toBe(1);
    expect((await witnessAa(db(), "HA1")).state).toMatchObject({ status: "fork", size: grown.state!.size, root: grown.state!.root });

    // Accept the rewritten log as the new start (the witness row reset by the portal's operator), then truncate it.
    await rawSql(database.url(), "DELETE FROM authority.log_witness WHERE log = 'aa:HA1'");
    expect((await witnessAa(db(), "HA1")).outcome).toBe("ok");
    const size = (await entries("HA1")).length;
    await ownerRewrite("HA1", `DELETE FROM aa.log_entries WHERE seq > ${size - 2}`);
    const rolledBack = await witnessAa(db(), "HA1");
    expect(rolledBack.outcome).toBe("rollback");
    expect(rolledBack.problem).toMatch(new RegExp(`shrank from ${size} to ${size - 2}`));
    expect(await alerts("LOG_ROLLBACK_DETECTED", "aa:HA1")).toBe(1);
    // Regrown to the same size over the hole: another root, a fork.
    await aaCall("HA1", "aa.setupAttribute", { attribute: "HA1.oncology" });
    await aaCall("HA1", "aa.setupAttribute", { attribute: "HA1.pathology" });
    expect((await witnessAa(db(), "HA1")).outcome).toBe("fork");
    // NRI's log, untouched, still agrees.
    expect((await witnessAa(db(), "NRI")).outcome).toBe("ok");
  });

  it("an AA that swaps its log key gets its heads refused under the pinned key, not a new pin; a configured key wins", async () => {
    expect((await witnessAa(db(), "NRI")).outcome).toBe("ok");
    const pinned = publicKeyHex(aa("NRI").logKey);
    aa("NRI").logKey = randomBytes(32);
    await aa("NRI").stop();
    await aa("NRI").start();
    process.env.MEDSHARE_AA_URLS = database
      .aas()
      .map((a) => `${a.name}=${a.url}`)
      .join(",");
    const refused = await witnessAa(db(), "NRI");
    expect(refused.outcome).toBe("rejected");
    expect(refused.state?.publicKey).toBe(pinned);
    expect(await alerts("LOG_HEAD_REJECTED", "aa:NRI")).toBe(1);
    // The portal's operator configures the new key: accepted (same history), and pinned from now on.
    process.env.MEDSHARE_AA_LOG_PUBLIC_KEYS = `NRI=${publicKeyHex(aa("NRI").logKey)}`;
    try {
      const accepted = await witnessAa(db(), "NRI");
      expect(accepted.outcome).toBe("ok");
      expect(accepted.state?.publicKey).toBe(publicKeyHex(aa("NRI").logKey));
    } finally {
      delete process.env.MEDSHARE_AA_LOG_PUBLIC_KEYS;
    }
  });
});
