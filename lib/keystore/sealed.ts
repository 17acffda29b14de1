/**
 * A person's key store, sealed under their passphrase: the form kept in IndexedDB and the
 * backup file format. Isomorphic (browser + Node) so it is unit-tested like lib/abe.
 *
 * KEK = scrypt(passphrase, salt); a separate check value (HMAC of a constant under the KEK)
 * tells a wrong passphrase apart from a corrupted file; contents are AES-256-GCM with the
 * format, version and GID as associated data.
 */
import { gcm } from "@noble/ciphers/aes.js";
import { hmac } from "@noble/hashes/hmac.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";

export const KEYSTORE_FORMAT = "medshare-keystore";

/** What the browser keeps secret. Keys and scalars are base64 of lib/abe encodings. */
export type KeystoreContents = {
  v: 1;
  gid: string;
  wrapSecretKey: string;
  wrapPublicKey: string;
  /** keyId ("HA1.cardiology@2") -> encoded UserKeys holding that one SIK */
  keys: Record<string, string>;
  /** The user's half of outsourced decryption: z and the key versions its TK covers. */
  transform: { secret: string; keyVersions: Record<string, number> } | null;
};

export type SealedKeystore = {
  format: typeof KEYSTORE_FORMAT;
  v: 1;
  gid: string;
  kdf: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  check: string;
  nonce: string;
  ct: string;
  savedAt: string;
};

export type KeystoreErrorCode = "WRONG_PASSPHRASE" | "CORRUPT" | "WRONG_PERSON" | "WEAK_PASSPHRASE";

export class KeystoreError extends Error {
  constructor(
    readonly code: KeystoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "KeystoreError";
  }
}

export const DEFAULT_KDF = { N: 1 << 15, r: 8, p: 1 };
const enc = new TextEncoder();
const dec = new TextDecoder();

export const b64 = {
  encode(bytes: Uint8Array): string {
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  },
  decode(text: string): Uint8Array {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  },
};

function aad(gid: string): Uint8Array {
  return enc.encode(`${KEYSTORE_FORMAT}:v1:${gid}`);
}

const checkValue = (kek: Uint8Array) => hmac(sha256, kek, enc.encode("medshare-keystore-passphrase-check"));

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

export function assertPassphrase(passphrase: string): void {
  if (passphrase.length < 10) throw new KeystoreError("WEAK_PASSPHRASE", "Use a key passphrase of at least 10 characters.");
}

export async function sealKeystore(contents: KeystoreContents, passphrase: string, kdf = DEFAULT_KDF): Promise<SealedKeystore> {
  assertPassphrase(passphrase);
  const salt = randomBytes(16);
  const kek = await scryptAsync(passphrase.normalize("NFKC"), salt, { ...kdf, dkLen: 32 });
  const nonce = randomBytes(12);
  const ct = gcm(kek, nonce, aad(contents.gid)).encrypt(enc.encode(JSON.stringify(contents)));
  return {
    format: KEYSTORE_FORMAT,
    v: 1,
    gid: contents.gid,
    kdf: { name: "scrypt", ...kdf, salt: b64.encode(salt) },
    check: b64.encode(checkValue(kek)),
    nonce: b64.encode(nonce),
    ct: b64.encode(ct),
    savedAt: new Date().toISOString(),
  };
}

/** Parses a backup file's text; anything that is not a sealed key store is CORRUPT. */
export function parseSealedKeystore(text: string): SealedKeystore {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeystoreError("CORRUPT", "This file is not a MedShare key backup (it is not valid JSON).");
  }
  const s = value as Partial<SealedKeystore>;
  const ok =
    s && s.format === KEYSTORE_FORMAT && s.v === 1 && typeof s.gid === "string" && typeof s.check === "string" &&
    typeof s.nonce === "string" && typeof s.ct === "string" && s.kdf?.name === "scrypt" && typeof s.kdf.salt === "string" &&
    [s.kdf.N, s.kdf.r, s.kdf.p].every((n) => Number.isSafeInteger(n) && (n as number) > 0) && (s.kdf.N as number) <= 1 << 20 && (s.kdf.r as number) <= 32 && (s.kdf.p as number) <= 4;
  if (!ok) throw new KeystoreError("CORRUPT", "This file is not a MedShare key backup, or it is damaged.");
  return s as SealedKeystore;
}

/**
 * Opens a sealed key store. `expectedGid` (the signed-in person) guards against importing
 * somebody else's backup.
 */
export async function openKeystore(sealed: SealedKeystore, passphrase: string, expectedGid?: string): Promise<KeystoreContents> {
  if (expectedGid !== undefined && sealed.gid !== expectedGid)
    throw new KeystoreError("WRONG_PERSON", `This backup belongs to ${sealed.gid}, not to you (${expectedGid}).`);
  let salt: Uint8Array, check: Uint8Array, nonce: Uint8Array, ct: Uint8Array;
  try {
    [salt, check, nonce, ct] = [sealed.kdf.salt, sealed.check, sealed.nonce, sealed.ct].map(b64.decode);
  } catch {
    throw new KeystoreError("CORRUPT", "The key backup is damaged (bad encoding).");
  }
  const kek = await scryptAsync(passphrase.normalize("NFKC"), salt, { N: sealed.kdf.N, r: sealed.kdf.r, p: sealed.kdf.p, dkLen: 32 });
  if (!equal(checkValue(kek), check)) throw new KeystoreError("WRONG_PASSPHRASE", "Wrong key passphrase.");
  let contents: KeystoreContents;
  try {
    contents = JSON.parse(dec.decode(gcm(kek, nonce, aad(sealed.gid)).decrypt(ct)));
  } catch {
    throw new KeystoreError("CORRUPT", "The key backup is damaged: its contents fail the integrity check.");
  }
  if (contents?.v !== 1 || contents.gid !== sealed.gid || typeof contents.keys !== "object")
    throw new KeystoreError("CORRUPT", "The key backup's contents are not a key store.");
  return contents;
}
