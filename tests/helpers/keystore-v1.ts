import { gcm } from "@noble/ciphers/aes.js";
import { hmac } from "@noble/hashes/hmac.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { b64, type KeystoreContents, type SealedKeystoreV1 } from "@/lib/keystore/sealed";

const enc = new TextEncoder();

/**
 * The key-store sealer exactly as it shipped before Argon2id (format v1: scrypt N = 2^15,
 * r = 8, p = 1; AAD "medshare-keystore:v1:<gid>"), kept for tests: stores and backups made by
 * it must still open, and be re-sealed under Argon2id at their next unlock.
 */
export async function sealKeystoreV1(contents: KeystoreContents, passphrase: string): Promise<SealedKeystoreV1> {
  const kdf = { N: 1 << 15, r: 8, p: 1 };
  const salt = randomBytes(16);
  const kek = await scryptAsync(passphrase.normalize("NFKC"), salt, { ...kdf, dkLen: 32 });
  const nonce = randomBytes(12);
  const ct = gcm(kek, nonce, enc.encode(`medshare-keystore:v1:${contents.gid}`)).encrypt(enc.encode(JSON.stringify(contents)));
  return {
    format: "medshare-keystore",
    v: 1,
    gid: contents.gid,
    kdf: { name: "scrypt", ...kdf, salt: b64.encode(salt) },
    check: b64.encode(hmac(sha256, kek, enc.encode("medshare-keystore-passphrase-check"))),
    nonce: b64.encode(nonce),
    ct: b64.encode(ct),
    savedAt: new Date().toISOString(),
  };
}
