/**
 * Key wrapping: attribute keys travel to the user's browser encrypted to an X25519 key the
 * browser generated at registration (ECIES: X25519 + HKDF-SHA256 + AES-256-GCM), so the server
 * never stores a user's unwrapped key. The caller's context string (e.g. "sik:<gid>:<attr>")
 * is bound as AAD: a wrapped key cannot be replayed into another slot.
 *
 * Exports: WrapKeyPair, generateWrapKeyPair, wrapKey, unwrapKey, encodeWrapPublicKey,
 *          decodeWrapPublicKey.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { ObjectType, concatBytes, decodeObject, encodeObject, utf8 } from "./codec";
import { AbeError } from "./errors";
import { type Rng, defaultRng } from "./group";

export type WrapKeyPair = { readonly secretKey: Uint8Array; readonly publicKey: Uint8Array };

const INFO = utf8.encode("MEDSHARE-V1-key-wrap");
const MAX_WRAPPED = 1 << 24;

/** A fresh X25519 key pair (the browser keeps secretKey, e.g. in IndexedDB). */
export function generateWrapKeyPair(rng: Rng = defaultRng): WrapKeyPair {
  const secretKey = rng(32);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

function contextBytes(context: string | Uint8Array): Uint8Array {
  const c = typeof context === "string" ? utf8.encode(context) : context;
  return concatBytes(utf8.encode("MEDSHARE-V1-wrap-context:"), c);
}

function deriveWrapKey(shared: Uint8Array, ephPub: Uint8Array, recipientPub: Uint8Array) {
  // Salt binds both public keys, so the key depends on who it was made for (no key reuse
  // across recipients even with a repeated ephemeral key).
  const okm = hkdf(sha256, shared, concatBytes(ephPub, recipientPub), INFO, 44);
  return { key: okm.subarray(0, 32), nonce: okm.subarray(32, 44) };
}

/** Encrypt `plaintext` to `recipientPublicKey`; returns a self-describing WrappedKey object. */
export function wrapKey(recipientPublicKey: Uint8Array, plaintext: Uint8Array, context: string | Uint8Array, rng: Rng = defaultRng): Uint8Array {
  if (!(recipientPublicKey instanceof Uint8Array) || recipientPublicKey.length !== 32)
    throw new AbeError("INVALID_ARGUMENT", "recipient public key must be 32 bytes");
  const eph = rng(32);
  const ephPub = x25519.getPublicKey(eph);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(eph, recipientPublicKey);
  } catch {
    throw new AbeError("INVALID_ARGUMENT", "recipient public key is not usable (low order)");
  }
  const { key, nonce } = deriveWrapKey(shared, ephPub, recipientPublicKey);
  const ct = gcm(key, nonce, contextBytes(context)).encrypt(plaintext);
  return encodeObject(ObjectType.WrappedKey, (w) => w.bytes(ephPub).bytes(ct));
}

/**
 * Decrypt a WrappedKey. Wrong recipient key, wrong context, tampered or malformed bytes all
 * end in AbeError("UNWRAP") (malformed framing in DECODE_*), never in garbage plaintext.
 */
export function unwrapKey(recipientSecretKey: Uint8Array, wrapped: Uint8Array, context: string | Uint8Array): Uint8Array {
  const { ephPub, ct } = decodeObject(wrapped, ObjectType.WrappedKey, (r) => ({
    ephPub: r.bytes("ephemeral public key", { exact: 32 }),
    ct: r.bytes("wrapped ciphertext", { max: MAX_WRAPPED }),
  }));
  if (!(recipientSecretKey instanceof Uint8Array) || recipientSecretKey.length !== 32) throw new AbeError("UNWRAP", "recipient secret key must be 32 bytes");
  try {
    const recipientPub = x25519.getPublicKey(recipientSecretKey);
    const shared = x25519.getSharedSecret(recipientSecretKey, ephPub);
    const { key, nonce } = deriveWrapKey(shared, ephPub, recipientPub);
    return gcm(key, nonce, contextBytes(context)).decrypt(ct);
  } catch {
    throw new AbeError("UNWRAP", "cannot unwrap: wrong key, wrong context or corrupted data");
  }
}

/** Public wrap key as a versioned object (what the browser registers). */
export function encodeWrapPublicKey(publicKey: Uint8Array): Uint8Array {
  return encodeObject(ObjectType.WrapPublicKey, (w) => w.bytes(publicKey));
}
export function decodeWrapPublicKey(bytes: Uint8Array): Uint8Array {
  return decodeObject(bytes, ObjectType.WrapPublicKey, (r) => r.bytes("X25519 public key", { exact: 32 }).slice());
}
