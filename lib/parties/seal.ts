import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Secrets at rest under a party's own key-encryption key: AES-256-GCM with the secret's identity
 * as associated data, so a sealed blob cannot be moved to another row. Layout: version byte 1 |
 * 12-byte IV | ciphertext | 16-byte tag. The authority seals its secrets under MEDSHARE_KEK
 * (lib/authority/seal.ts); each attribute authority under its own (lib/aa).
 */
export function sealWith(kek: Uint8Array, plaintext: Uint8Array, aad: string): Uint8Array<ArrayBuffer> {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", kek, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([Buffer.from([1]), iv, body, cipher.getAuthTag()]));
}

export function unsealWith(kek: Uint8Array, sealed: Uint8Array, aad: string): Uint8Array {
  const buf = Buffer.from(sealed);
  if (buf.length < 1 + 12 + 16 || buf[0] !== 1) throw new Error("sealed secret has an unknown format");
  const decipher = createDecipheriv("aes-256-gcm", kek, buf.subarray(1, 13));
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(buf.subarray(buf.length - 16));
  return new Uint8Array(Buffer.concat([decipher.update(buf.subarray(13, buf.length - 16)), decipher.final()]));
}
