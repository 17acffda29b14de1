/**
 * ABE-OD in a real browser: lib/abe is bundled with esbuild into an IIFE, loaded into
 * about:blank (no app server involved), used to encrypt there, and the bytes are decrypted in
 * Node with the same library. Also checks that the browser runs the wasm arithmetic.
 */
import { expect, test } from "./fixtures/test";
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as abe from "../lib/abe";
import { makeAuthorities, makeUserKeys, seededRng } from "../lib/abe/testing";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));

async function bundle(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `import * as abe from "./lib/abe/index.ts"; (globalThis as any).abe = abe;`,
      resolveDir: root,
      loader: "ts",
      sourcefile: "abe-entry.ts",
    },
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

test("encrypts in the browser, decrypts in Node (full, outsourced, batch records)", async ({ page }) => {
  const pp = abe.setupGlobal();
  const { auth, vks } = makeAuthorities(["HA1.cardiology", "HA1.researcher", "INST1.analyst"], "e2e");
  const user = makeUserKeys(auth, "gid-e2e", ["HA1.cardiology", "INST1.analyst"]);
  const code = await bundle();

  await page.goto("about:blank");
  await page.addScriptTag({ content: code });

  const out = await page.evaluate(
    ({ vksB64, policy, message, records }) => {
      type Abe = typeof import("../lib/abe");
      const lib = (globalThis as unknown as { abe: Abe }).abe;
      const dec = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      const enc = (b: Uint8Array) => btoa(String.fromCharCode(...b));
      const pp = lib.setupGlobal();
      const vks = lib.decodeVkSet(dec(vksB64));
      let t0 = performance.now();
      const env = lib.encrypt(pp, vks, policy, new TextEncoder().encode(message));
      const firstMs = performance.now() - t0; // includes building the precomputation tables
      t0 = performance.now();
      lib.encrypt(pp, vks, policy, new TextEncoder().encode(message));
      const warmMs = performance.now() - t0;
      const batch = lib.encryptBatch(
        pp,
        vks,
        policy,
        records.map((r) => ({ id: r.id, data: new TextEncoder().encode(r.text) })),
      );
      return {
        backend: lib.arithmeticBackend(),
        firstMs,
        warmMs,
        env: enc(lib.encodeEnvelope(env)),
        batchEnv: enc(lib.encodeEnvelope(batch.envelope)),
        records: batch.records.map((r) => enc(lib.encodeRecordCiphertext(r))),
      };
    },
    {
      vksB64: b64(abe.encodeVkSet(vks)),
      policy: "HA1.cardiology AND (HA1.researcher OR INST1.analyst)",
      message: "hello from the browser",
      records: [
        { id: "p-1", text: "patient one" },
        { id: "p-2", text: "patient two" },
      ],
    },
  );

  expect(out.backend).toBe("wasm");
  console.log(`browser encryption, 3 rows: first ${out.firstMs.toFixed(1)} ms (builds the tables), then ${out.warmMs.toFixed(1)} ms`);

  const env = abe.decodeEnvelope(unb64(out.env));
  expect(abe.checkIntegrity(pp, env)).toBe(true);
  expect(new TextDecoder().decode(abe.decrypt(pp, vks, env, user).payload)).toBe("hello from the browser");
  const t = abe.makeTransformKey(user, seededRng("e2e-tk"));
  const viaCsp = abe.finishDecrypt(pp, env, abe.partialDecrypt(pp, env, t.tk), t.secret, { vks });
  expect(new TextDecoder().decode(viaCsp.payload)).toBe("hello from the browser");

  const batchEnv = abe.decodeEnvelope(unb64(out.batchEnv));
  const opened = abe.decrypt(pp, vks, batchEnv, user);
  const recs = out.records.map((r) => abe.decodeRecordCiphertext(unb64(r)));
  expect(recs.map((r) => new TextDecoder().decode(abe.openRecord(opened.batchKey, r)))).toEqual(["patient one", "patient two"]);
  recs.forEach((r, i) => expect(abe.verifyRecord(batchEnv, r, abe.recordProof(recs, i))).toBe(true));
});
