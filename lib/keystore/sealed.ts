/**
 * A person's key store, sealed under their passphrase: the form kept in IndexedDB and the
 * backup file format. Isomorphic (browser + Node) so it is unit-tested like lib/abe.
 *
 * KEK = Argon2id(passphrase, salt) with its parameters stored beside the salt (format v2);
 * a separate check value (HMAC of a constant under the KEK) tells a wrong passphrase apart
 * from a corrupted file; contents are AES-256-GCM with the format, version and GID as
 * associated data. Format v1 (scrypt N = 2^15) still opens, so old stores and old backups
 * keep working; `needsReseal` tells the caller to seal them again under Argon2id.
 */
import { gcm } from "@noble/ciphers/aes.js";
import { argon2idAsync } from "@noble/hashes/argon2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { keyPassphraseProblem } from "../validation/passphrase";

export const KEYSTORE_FORMAT = "medshare-keystore";

/** What the browser keeps secret. Keys and scalars are base64 of lib/abe encodings. */
export type KeystoreContents = {
  v: 1;
  gid: string;
  wrapSecretKey: string;
  wrapPublicKey: string;
  /** keyId ("HA1.cardiology@2") -> encoded UserKeys holding that one SIK */
  keys: Record<string, string>;
  /**
   * The user's half of outsourced decryption: z, the newest key versions its TK covers and
   * (stores written since issue #15) every key version its layers cover, e.g. "HA1.cardiology@1".
   */
  transform: { secret: string; keyVersions: Record<string, number>; covers?: string[] } | null;
};

/** m in KiB, t passes, p lanes (RFC 9106). */
export type Argon2idParams = { m: number; t: number; p: number };
export type ScryptParams = { N: number; r: number; p: number };

type SealedCommon = { format: typeof KEYSTORE_FORMAT; gid: string; check: string; nonce: string; ct: string; savedAt: string };
/** Format v1: scrypt. Read only (old stores and backups); never written any more. */
export type SealedKeystoreV1 = SealedCommon & { v: 1; kdf: { name: "scrypt"; salt: string } & ScryptParams };
/** Format v2: Argon2id, parameters stored so they can be raised later without breaking old files. */
export type SealedKeystoreV2 = SealedCommon & { v: 2; kdf: { name: "argon2id"; salt: string } & Argon2idParams };
export type SealedKeystore = SealedKeystoreV1 | SealedKeystoreV2;

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

/**
 * OWASP's Argon2id floor (19 MiB, 2 passes, 1 lane). Measured here (2 cores, shared): about
 * 0.4 s in Node and in Chromium per derivation, so an unlock stays near 1 s including the
 * re-seal; see docs/BENCHMARKS.md.
 */
export const DEFAULT_KDF: Argon2idParams = { m: 19456, t: 2, p: 1 };
/** Parameters accepted when opening: bounded so a crafted backup cannot exhaust memory or time. */
const ARGON2_LIMITS = { mMin: 8192, mMax: 262144, tMax: 10, pMax: 4 };
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

function aad(v: 1 | 2, gid: string): Uint8Array {
  return enc.encode(`${KEYSTORE_FORMAT}:v${v}:${gid}`);
}

const checkValue = (kek: Uint8Array) => hmac(sha256, kek, enc.encode("medshare-keystore-passphrase-check"));

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** Refuses a weak passphrase being chosen (same rule as the forms' zod schema). */
export function assertPassphrase(passphrase: string): void {
  const problem = keyPassphraseProblem(passphrase);
  if (problem) throw new KeystoreError("WEAK_PASSPHRASE", problem);
}

function deriveKek(sealed: Pick<SealedKeystore, "kdf">, passphrase: string, salt: Uint8Array): Promise<Uint8Array> {
  const password = passphrase.normalize("NFKC");
  const k = sealed.kdf;
  if (k.name === "argon2id") return argon2idAsync(password, salt, { m: k.m, t: k.t, p: k.p, dkLen: 32, maxmem: (k.m + 1024) * 1024 });
  return scryptAsync(password, salt, { N: k.N, r: k.r, p: k.p, dkLen: 32 });
}

export type SealOptions = {
  kdf?: Argon2idParams;
  /**
   * Re-sealing under the passphrase that just opened the store (saving new keys, upgrading a
   * v1 store): not a new choice, so an older, weaker passphrase is not refused here.
   */
  reseal?: boolean;
};

/** Seals under Argon2id (format v2). A new passphrase must pass the strength check. */
export async function sealKeystore(contents: KeystoreContents, passphrase: string, opts: SealOptions = {}): Promise<SealedKeystoreV2> {
  if (!opts.reseal) assertPassphrase(passphrase);
  else if (passphrase.length === 0) throw new KeystoreError("WEAK_PASSPHRASE", "The key passphrase is empty.");
  const kdf = { name: "argon2id" as const, ...(opts.kdf ?? DEFAULT_KDF), salt: b64.encode(randomBytes(16)) };
  const kek = await deriveKek({ kdf }, passphrase, b64.decode(kdf.salt));
  const nonce = randomBytes(12);
  const ct = gcm(kek, nonce, aad(2, contents.gid)).encrypt(enc.encode(JSON.stringify(contents)));
  return {
    format: KEYSTORE_FORMAT,
    v: 2,
    gid: contents.gid,
    kdf,
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
  if (!isSealedKeystore(value)) throw new KeystoreError("CORRUPT", "This file is not a MedShare key backup, or it is damaged.");
  return value;
}

const positive = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) > 0;

function kdfOk(v: unknown, kdf: Record<string, unknown> | undefined): boolean {
  if (!kdf || typeof kdf.salt !== "string") return false;
  if (v === 1) return kdf.name === "scrypt" && positive(kdf.N) && positive(kdf.r) && positive(kdf.p) && kdf.N <= 1 << 20 && kdf.r <= 32 && kdf.p <= 4;
  if (v === 2)
    return (
      kdf.name === "argon2id" &&
      positive(kdf.m) &&
      positive(kdf.t) &&
      positive(kdf.p) &&
      kdf.m >= ARGON2_LIMITS.mMin &&
      kdf.m <= ARGON2_LIMITS.mMax &&
      kdf.t <= ARGON2_LIMITS.tMax &&
      kdf.p <= ARGON2_LIMITS.pMax
    );
  return false;
}

/** Shape check for files and IndexedDB records: either format, parameters within bounds. */
export function isSealedKeystore(value: unknown): value is SealedKeystore {
  const s = value as Partial<SealedCommon> & { v?: unknown; kdf?: Record<string, unknown> };
  return Boolean(
    s &&
    s.format === KEYSTORE_FORMAT &&
    typeof s.gid === "string" &&
    typeof s.check === "string" &&
    typeof s.nonce === "string" &&
    typeof s.ct === "string" &&
    kdfOk(s.v, s.kdf),
  );
}

/**
 * True when a store that just opened should be sealed again: an old format (scrypt), or
 * Argon2id parameters below today's defaults.
 */
export function needsReseal(sealed: SealedKeystore, target: Argon2idParams = DEFAULT_KDF): boolean {
  if (sealed.v !== 2) return true;
  return sealed.kdf.m < target.m || sealed.kdf.t < target.t;
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
  if (!isSealedKeystore(sealed)) throw new KeystoreError("CORRUPT", "The key store is damaged or of an unknown format.");
  const kek = await deriveKek(sealed, passphrase, salt);
  if (!equal(checkValue(kek), check)) throw new KeystoreError("WRONG_PASSPHRASE", "Wrong key passphrase.");
  let contents: KeystoreContents;
  try {
    contents = JSON.parse(dec.decode(gcm(kek, nonce, aad(sealed.v, sealed.gid)).decrypt(ct)));
  } catch {
    throw new KeystoreError("CORRUPT", "The key backup is damaged: its contents fail the integrity check.");
  }
  if (contents?.v !== 1 || contents.gid !== sealed.gid || typeof contents.keys !== "object")
    throw new KeystoreError("CORRUPT", "The key backup's contents are not a key store.");
  return contents;
}
