import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ed25519 } from "@noble/curves/ed25519.js";

// `npm run party:public-key` prints the public half of the local secrets' partySigningKey, and
// refuses (rather than inventing a key) where there is none.
const dir = mkdtempSync(path.join(tmpdir(), "medshare-pubkey-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (env: Record<string, string>) =>
  spawnSync("npx", ["tsx", "scripts/party-public-key.ts"], { env: { ...process.env, MEDSHARE_PARTY_SIGNING_KEY: "", ...env }, encoding: "utf8" });

describe("scripts/party-public-key.ts", () => {
  it("prints the public key of the local partySigningKey", () => {
    const secret = "11".repeat(32);
    writeFileSync(path.join(dir, "secrets.json"), JSON.stringify({ partySigningKey: secret }));
    const result = run({ MEDSHARE_DATA_DIR: dir });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(Buffer.from(ed25519.getPublicKey(Buffer.from(secret, "hex"))).toString("hex"));
  });

  it("refuses where there is no key, and writes none", () => {
    const empty = mkdtempSync(path.join(dir, "empty-"));
    const result = run({ MEDSHARE_DATA_DIR: empty });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/authority's host/);
    expect(result.stdout).toBe("");
    expect(existsSync(path.join(empty, "secrets.json"))).toBe(false);
  });
});
