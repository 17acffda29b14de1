/**
 * The scheme without WebAssembly (e.g. a page whose Content-Security-Policy forbids it): the
 * noble-only path must give byte-identical ciphertexts and partial decryptions. WebAssembly is
 * switched off before anything is computed, so every cache in this file starts noble-only.
 */
import { afterAll, describe, expect, it } from "vitest";
import { WASM_DISABLED, fieldWasm } from "./wasm/runtime";
import { makeAuthorities, makeUserKeys, seededRng } from "./testing";
import { makeTransformKey, setupGlobal } from "./keys";
import { checkIntegrity, decrypt, encrypt } from "./envelope";
import { finishDecrypt, partialDecrypt } from "./outsource";
import { encodeEnvelope, encodePartialDecryption } from "./serialize";

WASM_DISABLED.value = true;
afterAll(() => {
  WASM_DISABLED.value = false;
});

describe("noble fallback (WebAssembly unavailable)", () => {
  it("gives the same bytes as the wasm path, and decrypts", () => {
    expect(fieldWasm()).toBeNull();
    const pp = setupGlobal();
    const { auth, vks } = makeAuthorities(["HA1.x", "HA2.y", "HA3.z"], "fallback");
    const user = makeUserKeys(auth, "gid-f", ["HA1.x", "HA3.z"]);
    const t = makeTransformKey(user, seededRng("tk-f"));
    const zeta = seededRng("zeta-f")(32);
    const policy = "HA1.x AND (HA2.y OR 2 of (HA3.z, HA1.x, HA2.y))";
    const m = new TextEncoder().encode("fallback");
    const nobleEnv = encrypt(pp, vks, policy, m, { zeta });
    const noblePd = partialDecrypt(pp, nobleEnv, t.tk);
    expect(checkIntegrity(pp, nobleEnv)).toBe(true);
    expect(decrypt(pp, vks, nobleEnv, user).payload).toEqual(m);
    expect(finishDecrypt(pp, nobleEnv, noblePd, t.secret, { vks }).payload).toEqual(m);

    WASM_DISABLED.value = false;
    expect(fieldWasm()).not.toBeNull();
    const wasmEnv = encrypt(pp, vks, policy, m, { zeta });
    expect(encodeEnvelope(wasmEnv)).toEqual(encodeEnvelope(nobleEnv));
    expect(encodePartialDecryption(partialDecrypt(pp, wasmEnv, t.tk))).toEqual(encodePartialDecryption(noblePd));
    expect(checkIntegrity(pp, wasmEnv)).toBe(true);
  });
});
