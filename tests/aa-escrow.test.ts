import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import {
  decodeAttributeSecret,
  decodeEnvelope,
  decodeTransformKey,
  decodeUserKeys,
  decrypt,
  encodeTransformKey,
  keygen,
  makeTransformKey,
  openRecord,
  setupGlobal,
  type AttributeSecret,
  type Envelope,
  type G2,
} from "@/lib/abe";
import { encodeFr, encodeG2 } from "@/lib/abe/group";
import { secretAad } from "@/lib/aa/schema";
import { createAttribute, createAuthority, vksFor } from "@/lib/authority/catalogue";
import { storeTransformKey } from "@/lib/authority/transform";
import { unsealWith } from "@/lib/parties/seal";
import { withFreshDatabase } from "./helpers/db";
import type { TestAa } from "./helpers/aa-service";
import { personWithKeys } from "./helpers/authority";
import { scanDatabase } from "./helpers/scan";
import { uploadRows } from "./helpers/upload";
import { makeUser } from "./helpers/users";

/**
 * Issue #13's attack: the operator of ONE attribute authority (HA1) holds everything it can get —
 * its own database and key-encryption key, the registration authority's database and the CSP's
 * database — and tries to read patients' records. Escrow per authority is inherent to ABE: it can
 * read a record whose policy names only its attributes. It must not read one under
 * `HA1.researcher AND NRI.oncology`: that needs a key only NRI's service can make.
 */
const database = withFreshDatabase();
const pp = setupGlobal();

/** Every value of every table of every schema in a database, as the operator holding it reads it. */
type Row = { table: string; row: Record<string, unknown> };
/** The same, one entry per value. */
const values = (rows: Row[]) => rows.flatMap(({ table, row }) => Object.entries(row).map(([column, value]) => ({ table, column, value })));

async function dump(url: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ s: string; t: string }>(
      `SELECT table_schema AS s, table_name AS t FROM information_schema.tables
       WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    );
    const out: Row[] = [];
    for (const { s, t } of tables.rows) {
      const rows = await client.query(`SELECT * FROM ${client.escapeIdentifier(s)}.${client.escapeIdentifier(t)}`);
      for (const row of rows.rows) out.push({ table: `${s}.${t}`, row });
    }
    return out;
  } finally {
    await client.end();
  }
}

/** Bytes a value may carry: bytea as is, text and JSON strings also as base64. */
function byteForms(value: unknown): Uint8Array[] {
  if (Buffer.isBuffer(value)) return [new Uint8Array(value)];
  if (typeof value === "string" && value.length >= 16 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return [new Uint8Array(Buffer.from(value, "base64"))];
  return [];
}

const attempt = <T>(f: () => T): T | null => {
  try {
    return f();
  } catch {
    return null;
  }
};

describe("one attribute authority's operator cannot decrypt across authorities", () => {
  const patientA = { name: "Patient A", diagnosis: "carcinoma, stage II" };
  const patientB = { name: "Patient B", diagnosis: "atrial fibrillation" };
  let both = "";
  let ha1Only = "";
  const nriTruth: Array<{ name: string; bytes: Uint8Array }> = [];

  beforeAll(async () => {
    const adminId = (await makeUser("AUTHORITY_ADMIN")).id;
    const ha1 = await createAuthority(adminId, { code: "HA1", name: "Consortium", description: "", service: "HA1" });
    const nri = await createAuthority(adminId, { code: "NRI", name: "Research institute", description: "", service: "NRI" });
    const id = async (authorityId: string, localName: string) => (await createAttribute(adminId, { authorityId, localName, description: "" })).id;
    const hospital = await id(ha1.id, "hospital");
    const researcher = await id(ha1.id, "researcher");
    const oncology = await id(nri.id, "oncology");
    const staff = await personWithKeys(adminId, "HOSPITAL_STAFF", [hospital]);
    const riley = await personWithKeys(adminId, "RESEARCHER", [researcher, oncology]);
    both = await uploadRows(staff, "HA1.researcher AND NRI.oncology", [patientA], "HA1.hospital");
    ha1Only = await uploadRows(staff, "HA1.researcher", [patientB], "HA1.hospital");
    // Riley's browser stores a transform key with the authority (what the CSP's help needs).
    const { tk } = makeTransformKey({ gid: riley.user.gid, keys: riley.keys });
    await storeTransformKey({ id: riley.user.id, gid: riley.user.gid }, encodeTransformKey(tk), riley.versions);
    // What only NRI's service and Riley's browser hold: the test knows it, the operator must not.
    const nriAa = database.aas().find((a) => a.name === "NRI")!;
    for (const { row } of (await dump(nriAa.ownerUrl)).filter((r) => r.table === "aa.key_versions")) {
      const secret = decodeAttributeSecret(unsealWith(nriAa.kek, row.sealed_secret as Buffer, secretAad(row.attribute as string, row.version as number)));
      nriTruth.push({ name: "NRI alpha", bytes: encodeFr(secret.alpha) }, { name: "NRI gamma", bytes: encodeFr(secret.gamma) });
    }
    nriTruth.push({ name: "Riley's NRI.oncology key", bytes: encodeG2(riley.keys.get("NRI.oncology")!) });
  });

  /**
   * The attack: every global id, every envelope, every G2 element any stored key object carries
   * (wrapped keys stay wrapped), and keys made with every master secret the operator can unseal.
   * Answers what it read: policy -> the records' plaintexts.
   */
  async function attack(operated: TestAa[], tables: Row[]): Promise<Map<string, string[]>> {
    const holdings = values(tables);
    const own = new Map<string, AttributeSecret>();
    for (const aa of operated)
      for (const { row } of await dump(aa.ownerUrl).then((t) => t.filter((x) => x.table === "aa.key_versions"))) {
        const [attribute, version] = [row.attribute as string, row.version as number];
        own.set(attribute, decodeAttributeSecret(unsealWith(aa.kek, row.sealed_secret as Buffer, secretAad(attribute, version))));
      }
    const gids = holdings.filter((h) => h.table === "portal.users" && h.column === "gid").map((h) => h.value as string);
    const envelopes: Envelope[] = [];
    const candidates: G2[] = [];
    for (const h of holdings)
      for (const bytes of byteForms(h.value)) {
        const env = attempt(() => decodeEnvelope(bytes));
        if (env) envelopes.push(env);
        for (const keys of [attempt(() => decodeUserKeys(bytes)), attempt(() => decodeTransformKey(bytes))]) if (keys) candidates.push(...keys.keys.values());
      }
    expect(gids.length).toBeGreaterThanOrEqual(3);
    expect(new Set(envelopes.map((e) => e.policy))).toEqual(new Set(["HA1.researcher AND NRI.oncology", "HA1.researcher"]));
    expect(candidates.length).toBeGreaterThanOrEqual(2); // Riley's transform key, at least
    const records = tables
      .filter((t) => t.table === "csp.record_ciphertexts")
      .map(({ row }) => ({ index: row.index as number, id: row.record_id as string, ct: new Uint8Array(row.ct as Buffer) }));
    expect(records).toHaveLength(2);

    const read = new Map<string, string[]>();
    for (const env of envelopes) {
      const attributes = env.policy.match(/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g) ?? [];
      const vks = await vksFor(Object.fromEntries(attributes.map((a) => [a, 1])));
      const missing = attributes.filter((a) => !own.has(a));
      for (const gid of gids) {
        const made = new Map([...own].map(([name, secret]) => [name, keygen(secret, gid)]));
        // An attribute it cannot make: every G2 element it found, in its place.
        const tries: Array<Map<string, G2>> = missing.length ? candidates.map((c) => new Map([...made, ...missing.map((m) => [m, c] as const)])) : [made];
        for (const keys of tries) {
          const opened = attempt(() => decrypt(pp, vks, env, { gid, keys }));
          if (!opened) continue;
          const plain = records.map((rec) => attempt(() => new TextDecoder().decode(openRecord(opened.batchKey, rec)))).filter((p): p is string => p !== null);
          read.set(env.policy, plain);
        }
      }
    }
    return read;
  }

  it("the HA1 operator holds nothing of NRI's secrets, reads the HA1-only record and not the HA1-and-NRI one", async () => {
    const ha1 = database.aas().find((a) => a.name === "HA1")!;
    expect(nriTruth).toHaveLength(3);
    // Everything the operator holds: its AA's database (as its owner), the registration authority's and the CSP's (one database here).
    const tables = [...(await dump(ha1.ownerUrl)), ...(await dump(database.url()))];
    expect(await scanDatabase(ha1.ownerUrl, nriTruth)).toEqual([]);
    expect(await scanDatabase(database.url(), nriTruth)).toEqual([]);
    const read = await attack([ha1], tables);
    // Escrow per authority (inherent to ABE; /admin/attributes says so): the HA1-only record opens.
    expect(read.get("HA1.researcher")).toEqual([JSON.stringify(patientB)]);
    // No key the operator can make or find opens the record under HA1.researcher AND NRI.oncology.
    expect(read.has("HA1.researcher AND NRI.oncology")).toBe(false);
    expect([both, ha1Only].every(Boolean)).toBe(true);
  });

  it("control: the same attack with NRI's database and KEK too (one server holding every AA's secrets, as before #13) reads both", async () => {
    const [ha1, nri] = ["HA1", "NRI"].map((n) => database.aas().find((a) => a.name === n)!);
    const tables = [...(await dump(ha1.ownerUrl)), ...(await dump(nri.ownerUrl)), ...(await dump(database.url()))];
    const read = await attack([ha1, nri], tables);
    expect(read.get("HA1.researcher AND NRI.oncology")).toEqual([JSON.stringify(patientA)]);
    expect(read.get("HA1.researcher")).toEqual([JSON.stringify(patientB)]);
  });
});
