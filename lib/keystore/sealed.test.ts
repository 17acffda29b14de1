import { describe, expect, it } from "vitest";
import { keyPassphraseProblem, keyPassphraseSchema } from "../validation/passphrase";
import { newKeystore } from "./operations";
import { sealKeystoreV1 as sealV1 } from "../../tests/helpers/keystore-v1";
import { DEFAULT_KDF, KeystoreError, needsReseal, openKeystore, parseSealedKeystore, sealKeystore } from "./sealed";

const STRONG = "copper-lantern-orbit-47";

async function rejects(p: Promise<unknown>, code: string) {
  const e = await p.then(
    () => null,
    (x) => x,
  );
  expect(e).toBeInstanceOf(KeystoreError);
  expect((e as KeystoreError).code).toBe(code);
}

describe("key store sealing (Argon2id, format v2)", () => {
  it("round-trips under Argon2id with the parameters stored in the file", async () => {
    const contents = newKeystore("alice.gid");
    const sealed = await sealKeystore(contents, STRONG);
    expect(sealed.v).toBe(2);
    expect(sealed.kdf).toMatchObject({ name: "argon2id", ...DEFAULT_KDF });
    expect(needsReseal(sealed)).toBe(false);
    // what is exported is what is imported
    const reparsed = parseSealedKeystore(JSON.stringify(sealed));
    expect(await openKeystore(reparsed, STRONG, "alice.gid")).toEqual(contents);
    await rejects(openKeystore(reparsed, STRONG + "x", "alice.gid"), "WRONG_PASSPHRASE");
    await rejects(openKeystore(reparsed, STRONG, "bob.gid"), "WRONG_PERSON");
  });

  it("opens a store written by the old scrypt code, and re-sealing upgrades it", async () => {
    const contents = newKeystore("old.gid");
    // v1 allowed 10 characters: the upgrade must not lock such a person out
    const oldPass = "tenchars10";
    const v1 = parseSealedKeystore(JSON.stringify(await sealV1(contents, oldPass)));
    expect(v1.v).toBe(1);
    expect(needsReseal(v1)).toBe(true);
    const opened = await openKeystore(v1, oldPass, "old.gid");
    expect(opened).toEqual(contents);
    await rejects(openKeystore(v1, "tenchars11", "old.gid"), "WRONG_PASSPHRASE");

    const upgraded = await sealKeystore(opened, oldPass, { reseal: true });
    expect(upgraded.v).toBe(2);
    expect(upgraded.kdf.name).toBe("argon2id");
    expect(needsReseal(upgraded)).toBe(false);
    expect(await openKeystore(upgraded, oldPass, "old.gid")).toEqual(contents);
    // but nobody can *choose* that passphrase for a new store
    await rejects(sealKeystore(opened, oldPass), "WEAK_PASSPHRASE");
  });

  it("a v1 body cannot be relabelled v2 (the version is in the associated data)", async () => {
    const v1 = await sealV1(newKeystore("x.gid"), STRONG);
    const forged = { ...v1, v: 2 };
    await rejects(
      Promise.resolve().then(() => parseSealedKeystore(JSON.stringify(forged))),
      "CORRUPT",
    );
  });

  it("refuses files whose KDF parameters would exhaust memory or are too weak", async () => {
    const sealed = await sealKeystore(newKeystore("y.gid"), STRONG);
    for (const kdf of [
      { ...sealed.kdf, m: 4 * 1024 * 1024 },
      { ...sealed.kdf, m: 64 },
      { ...sealed.kdf, t: 1000 },
      { ...sealed.kdf, name: "pbkdf2" },
    ])
      expect(() => parseSealedKeystore(JSON.stringify({ ...sealed, kdf }))).toThrow(KeystoreError);
    expect(needsReseal({ ...sealed, kdf: { ...sealed.kdf, m: 8192 } })).toBe(true);
  });
});

describe("key passphrase strength", () => {
  const weak = [
    "short-pw1",
    "aaaaaaaaaaaaaaaa",
    "abcdefghijklmnop",
    "123456789012345",
    "abababababababab",
    "Password1234!",
    "passwordpassword",
    "qwertyuiop123456",
    "P@ssw0rd-2024!!",
  ];
  it.each(weak)("refuses %j with a clear message", async (p) => {
    const problem = keyPassphraseProblem(p);
    expect(problem).toMatch(/at least 12|common passwords|too predictable/);
    expect(keyPassphraseSchema.safeParse(p).success).toBe(false);
    await rejects(sealKeystore(newKeystore("w.gid"), p), "WEAK_PASSPHRASE");
  });

  const strong = [STRONG, "correct horse battery staple", "keys-3fa9c1-passphrase", "qzmvkxtrplwhj"];
  it.each(strong)("accepts %j", (p) => {
    expect(keyPassphraseProblem(p)).toBeNull();
    expect(keyPassphraseSchema.safeParse(p).success).toBe(true);
  });
});
