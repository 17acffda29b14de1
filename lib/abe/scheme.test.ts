import { beforeAll, describe, expect, it } from "vitest";
import { AbeError, isAbeError } from "./errors";
import { egg, g1, gtEq, gtInv, gtMul, gtPow, pair, randomFr } from "./group";
import { keygen, makeTransformKey, setupAttribute, setupGlobal, verifyUserKey } from "./keys";
import { assertIntegrity, checkIntegrity, decrypt, encrypt, openWithKey } from "./envelope";
import { finishDecrypt, partialDecrypt } from "./outsource";
import { encryptBatch, openRecord, recordProof, verifyRecord } from "./batch";
import { H1, H4, Hs, hashPayload } from "./kdf";
import { decodeEnvelope, decodePartialDecryption, encodeEnvelope, encodePartialDecryption, envelopeDigest, envelopeTranscript } from "./serialize";
import { makeAuthorities, makeUserKeys, seededRng } from "./testing";
import type { AttributeAuthorityKeys, AttributeVk, Envelope, UserKeys } from "./types";

const pp = setupGlobal();
const NAMES = ["HA1.cardiology", "HA1.researcher", "HA2.oncology", "INST1.analyst"];
let auth: Map<string, AttributeAuthorityKeys>;
let vks: Map<string, AttributeVk>;
let alice: UserKeys; // cardiology + researcher
let bob: UserKeys; // oncology + analyst
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!isAbeError(e)) throw e;
    return e.code;
  }
  return "OK";
}

beforeAll(() => {
  ({ auth, vks } = makeAuthorities(NAMES, "scheme-test"));
  alice = makeUserKeys(auth, "gid-alice", ["HA1.cardiology", "HA1.researcher"]);
  bob = makeUserKeys(auth, "gid-bob", ["HA2.oncology", "INST1.analyst"]);
});

describe("authority setup and keys", () => {
  it("VK_i = (e(g1,g2)^alpha, g1^gamma) and SIK verifies against it", () => {
    const a = auth.get("HA1.cardiology")!;
    expect(gtEq(a.vk.eggAlpha, gtPow(egg(), a.secret.alpha))).toBe(true);
    expect(a.vk.g1Gamma.equals(g1.multiply(a.secret.gamma))).toBe(true);
    const K = alice.keys.get("HA1.cardiology")!;
    expect(verifyUserKey(a.vk, "gid-alice", K)).toBe(true);
    expect(verifyUserKey(a.vk, "gid-bob", K)).toBe(false);
    expect(verifyUserKey(auth.get("HA1.researcher")!.vk, "gid-alice", K)).toBe(false);
  });

  it("rejects malformed attribute names and empty GIDs", () => {
    expect(codeOf(() => setupAttribute("cardiology"))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => keygen(auth.get("HA1.cardiology")!.secret, ""))).toBe("INVALID_ARGUMENT");
  });
});

describe("encryption and decryption", () => {
  it.each([
    ["HA1.cardiology AND HA1.researcher", "alice", true],
    ["HA1.cardiology AND HA1.researcher", "bob", false],
    ["HA1.cardiology OR HA2.oncology", "alice", true],
    ["HA1.cardiology OR HA2.oncology", "bob", true],
    ["2 of (HA1.cardiology, HA2.oncology, INST1.analyst)", "bob", true],
    ["2 of (HA1.cardiology, HA2.oncology, INST1.analyst)", "alice", false],
    ["HA1.researcher AND (HA2.oncology OR HA1.cardiology)", "alice", true],
  ] as const)("%s / %s -> %s (full and outsourced)", (policy, who, ok) => {
    const keys = who === "alice" ? alice : bob;
    const env = encrypt(pp, vks, policy, bytes(`secret for ${policy}`));
    expect(checkIntegrity(pp, env)).toBe(true);
    if (ok) {
      expect(text(decrypt(pp, vks, env, keys).payload)).toBe(`secret for ${policy}`);
      const { tk, secret } = makeTransformKey(keys);
      const pd = partialDecrypt(pp, env, tk);
      expect(text(finishDecrypt(pp, env, pd, secret).payload)).toBe(`secret for ${policy}`);
      expect(text(finishDecrypt(pp, env, pd, secret, { vks }).payload)).toBe(`secret for ${policy}`);
    } else {
      expect(codeOf(() => decrypt(pp, vks, env, keys))).toBe("POLICY_UNSATISFIED");
      const { tk } = makeTransformKey(keys);
      expect(codeOf(() => partialDecrypt(pp, env, tk))).toBe("POLICY_UNSATISFIED");
    }
  });

  it("names the missing attributes", () => {
    const env = encrypt(pp, vks, "HA1.cardiology AND INST1.analyst", bytes("x"));
    try {
      decrypt(pp, vks, env, alice);
      throw new Error("unreachable");
    } catch (e) {
      expect(e).toBeInstanceOf(AbeError);
      expect((e as AbeError).detail).toEqual({ missing: ["INST1.analyst"] });
    }
  });

  it("needs a VK for every policy attribute, and a parsable policy", () => {
    const partial = new Map([...vks].slice(0, 1));
    expect(codeOf(() => encrypt(pp, partial, "HA1.cardiology AND HA1.researcher", bytes("x")))).toBe("MISSING_KEY");
    expect(codeOf(() => encrypt(pp, vks, "HA1.cardiology AND", bytes("x")))).toBe("POLICY_INVALID");
  });

  it("optimized and reference paths produce identical ciphertexts and plaintexts", () => {
    const zeta = seededRng("zeta")(32);
    const policy = "HA1.cardiology AND (HA1.researcher OR HA2.oncology)";
    const fast = encrypt(pp, vks, policy, bytes("same"), { zeta });
    const ref = encrypt(pp, vks, policy, bytes("same"), { zeta, reference: true });
    expect(encodeEnvelope(ref)).toEqual(encodeEnvelope(fast));
    expect(checkIntegrity(pp, fast, { reference: true })).toBe(true);
    expect(text(decrypt(pp, vks, fast, alice, { reference: true }).payload)).toBe("same");
    const { tk, secret } = makeTransformKey(alice);
    const pdRef = partialDecrypt(pp, fast, tk, { reference: true });
    const pdFast = partialDecrypt(pp, fast, tk);
    expect(encodePartialDecryption(pdRef)).toEqual(encodePartialDecryption(pdFast));
    expect(text(finishDecrypt(pp, fast, pdRef, secret, { reference: true, vks }).payload)).toBe("same");
  });

  it("round-trips through the wire encoding", () => {
    const env = encrypt(pp, vks, "HA1.cardiology OR INST1.analyst", bytes("wire"));
    const again = decodeEnvelope(encodeEnvelope(env));
    expect(encodeEnvelope(again)).toEqual(encodeEnvelope(env));
    expect(text(decrypt(pp, vks, again, bob).payload)).toBe("wire");
  });
});

describe("attacks", () => {
  let env: Envelope;
  beforeAll(() => {
    env = encrypt(pp, vks, "HA1.cardiology AND HA2.oncology", bytes("needs both"));
  });

  it("collusion: keys of two GIDs that together satisfy the policy do not decrypt", () => {
    expect(codeOf(() => decrypt(pp, vks, env, alice))).toBe("POLICY_UNSATISFIED");
    expect(codeOf(() => decrypt(pp, vks, env, bob))).toBe("POLICY_UNSATISFIED");
    const mixed = new Map([
      ["HA1.cardiology", alice.keys.get("HA1.cardiology")!],
      ["HA2.oncology", bob.keys.get("HA2.oncology")!],
    ]);
    // Under either GID the e(g1, H(GID))^omega terms do not cancel: K is wrong, the envelope stays shut.
    expect(codeOf(() => decrypt(pp, vks, env, { gid: "gid-alice", keys: mixed }))).toBe("DECRYPT");
    expect(codeOf(() => decrypt(pp, vks, env, { gid: "gid-bob", keys: mixed }))).toBe("DECRYPT");
    // Combined transform keys fail the user's verification too.
    const ta = makeTransformKey({ gid: "gid-alice", keys: mixed });
    const pd = partialDecrypt(pp, env, ta.tk);
    expect(codeOf(() => finishDecrypt(pp, env, pd, ta.secret))).toBe("OUTSOURCED_VERIFY");
  });

  it("e(g1,g2)^d = e(g1, C-bar3) is public but is not the key", () => {
    const zeta = seededRng("egg-d")(32);
    const m = bytes("needs both");
    const e = encrypt(pp, vks, "HA1.cardiology AND HA2.oncology", m, { zeta });
    const d = H1(zeta, hashPayload(m));
    const eggD = pair(g1, e.C3bar); // anyone can compute this
    expect(gtEq(eggD, gtPow(egg(), d))).toBe(true);
    const eggS = gtPow(egg(), Hs(d));
    expect(gtEq(eggD, eggS)).toBe(false);
    expect(openWithKey(e, eggD)).toBeNull();
    expect(openWithKey(e, gtInv(eggD))).toBeNull();
    expect(openWithKey(e, eggS)?.m).toEqual(m); // sanity: the real key does open it
  });

  it("a tampered partial decryption or a wrong z is reported as OUTSOURCED_VERIFY", () => {
    const carol = makeUserKeys(auth, "gid-carol", ["HA1.cardiology", "HA2.oncology"]);
    const { tk, secret } = makeTransformKey(carol);
    const pd = partialDecrypt(pp, env, tk);
    expect(text(finishDecrypt(pp, env, pd, secret).payload)).toBe("needs both");
    const bumped = gtMul(pd.A, egg());
    expect(codeOf(() => finishDecrypt(pp, env, { ...pd, A: bumped }, secret))).toBe("OUTSOURCED_VERIFY");
    expect(codeOf(() => finishDecrypt(pp, env, { ...pd, B: pd.A }, secret))).toBe("OUTSOURCED_VERIFY");
    expect(codeOf(() => finishDecrypt(pp, env, { ...pd, ctDigest: new Uint8Array(32) }, secret))).toBe("OUTSOURCED_VERIFY");
    expect(codeOf(() => finishDecrypt(pp, env, pd, { ...secret, z: randomFr() }))).toBe("OUTSOURCED_VERIFY");
    // Through the wire: a byte flip inside A either fails decoding or verification.
    const wire = encodePartialDecryption(pd);
    wire[wire.length - 700] ^= 1;
    expect(["DECODE_SUBGROUP", "DECODE_POINT", "OUTSOURCED_VERIFY"]).toContain(codeOf(() => finishDecrypt(pp, env, decodePartialDecryption(wire), secret)));
  });

  it("the TK alone (without z) does not yield the key", () => {
    const carol = makeUserKeys(auth, "gid-carol", ["HA1.cardiology", "HA2.oncology"]);
    const { tk } = makeTransformKey(carol);
    const pd = partialDecrypt(pp, env, tk);
    expect(openWithKey(env, pd.A)).toBeNull();
    expect(openWithKey(env, gtMul(pd.A, pd.B))).toBeNull();
  });

  it("byte flips anywhere in the envelope are rejected, never returned as data", () => {
    const wire = encodeEnvelope(env);
    const carol = makeUserKeys(auth, "gid-carol", ["HA1.cardiology", "HA2.oncology"]);
    // Every 23rd byte (so every field of the wire format is hit: header, policy, each row's C1,
    // C2, C3, the records fields, C-bar1..4) plus the first and last bytes.
    const positions = new Set<number>([0, 1, 2, 3, wire.length - 1]);
    for (let i = 4; i < wire.length; i += 23) positions.add(i);
    for (const pos of positions) {
      const bad = wire.slice();
      bad[pos] ^= 1 << (pos % 8);
      const outcome = codeOf(() => {
        const e = decodeEnvelope(bad);
        assertIntegrity(pp, e);
        return decrypt(pp, vks, e, carol);
      });
      expect(outcome, `flip at ${pos}`).not.toBe("OK");
    }
  });

  it("FO re-derivation catches a ciphertext whose unused rows were altered by its encryptor", () => {
    // An encryptor who knows d can re-sign a modified envelope (C-bar4 = H4(...)^d), so the public
    // check passes; only the re-derivation from (zeta, m) exposes the change.
    const policy = "HA1.cardiology OR HA2.oncology";
    const zeta = seededRng("fo")(32);
    const honest = encrypt(pp, vks, policy, bytes("fo"), { zeta });
    const d = H1(zeta, hashPayload(bytes("fo")));
    const rows = [honest.rows[0], { ...honest.rows[1], C2: honest.rows[1].C2.double() }];
    const body = { ...honest, rows };
    const resigned = { ...body, C4bar: H4(envelopeTranscript(body)).multiply(d) };
    expect(checkIntegrity(pp, resigned)).toBe(true);
    // Alice uses row 0 only: without VKs the envelope checks pass, with VKs the FO check fails.
    const { tk, secret } = makeTransformKey(alice);
    const pd = partialDecrypt(pp, resigned, tk);
    expect(text(finishDecrypt(pp, resigned, pd, secret).payload)).toBe("fo");
    expect(codeOf(() => finishDecrypt(pp, resigned, pd, secret, { vks }))).toBe("INTEGRITY");
    expect(codeOf(() => decrypt(pp, vks, resigned, alice))).toBe("INTEGRITY");
  });
});

describe("batches", () => {
  it("opens single records, proves membership, rejects foreign records", () => {
    const recs = Array.from({ length: 5 }, (_, i) => ({ id: `rec-${i}`, data: bytes(`patient ${i}`) }));
    const { envelope, records, root } = encryptBatch(pp, vks, "HA1.researcher OR INST1.analyst", recs);
    expect(envelope.recordCount).toBe(5);
    expect(envelope.recordsRoot).toEqual(root);
    expect(checkIntegrity(pp, envelope)).toBe(true);
    const opened = decrypt(pp, vks, envelope, bob);
    expect(opened.batch?.count).toBe(5);
    for (let i = 0; i < 5; i++) {
      const proof = recordProof(records, i);
      expect(verifyRecord(envelope, records[i], proof)).toBe(true);
      expect(text(openRecord(opened.batchKey, records[i]))).toBe(`patient ${i}`);
    }
    const { tk, secret } = makeTransformKey(alice);
    const viaCsp = finishDecrypt(pp, envelope, partialDecrypt(pp, envelope, tk), secret);
    expect(viaCsp.batchKey).toEqual(opened.batchKey);
    // Swapped id, moved index, flipped ciphertext: not openable and not in the tree.
    const r1 = records[1];
    expect(codeOf(() => openRecord(opened.batchKey, { ...r1, id: "rec-2" }))).toBe("RECORD");
    expect(codeOf(() => openRecord(opened.batchKey, { ...r1, index: 2 }))).toBe("RECORD");
    const flipped = { ...r1, ct: r1.ct.slice() };
    flipped.ct[0] ^= 1;
    expect(codeOf(() => openRecord(opened.batchKey, flipped))).toBe("RECORD");
    expect(verifyRecord(envelope, flipped, recordProof(records, 1))).toBe(false);
    expect(verifyRecord(envelope, records[2], recordProof(records, 1))).toBe(false);
    // Another batch's key does not open these records.
    const other = encryptBatch(pp, vks, "INST1.analyst", [bytes("x")]);
    const otherKey = decrypt(pp, vks, other.envelope, bob).batchKey;
    expect(codeOf(() => openRecord(otherKey, records[0]))).toBe("RECORD");
  });

  it("the envelope commits to the records root (a swapped root fails integrity)", () => {
    const b = encryptBatch(pp, vks, "INST1.analyst", [bytes("a"), bytes("b")]);
    const swapped = { ...b.envelope, recordsRoot: new Uint8Array(32).fill(9) };
    expect(checkIntegrity(pp, swapped)).toBe(false);
    expect(envelopeDigest(swapped)).not.toEqual(envelopeDigest(b.envelope));
  });
});
