import { ed25519 } from "@noble/curves/ed25519.js";
import { z } from "@/lib/validation/zod";
import { fromHex, toHex } from "./merkle";

/**
 * Signed tree heads (RFC 9162 §4.10 in spirit): Ed25519 over a domain-separated text of the
 * log's name, size, root and time. Isomorphic: browsers verify heads with this module.
 */
/** The authority's, the CSP's, or an attribute authority's log (`aa:<service>`, lib/aa/log.ts). */
export const logNameSchema = z.union([z.enum(["authority", "csp"]), z.string().regex(/^aa:[A-Za-z][A-Za-z0-9_-]{1,15}$/)]);
export const signedTreeHeadSchema = z.object({
  log: logNameSchema,
  size: z.number().int().nonnegative(),
  root: z.string().regex(/^[0-9a-f]{64}$/),
  timestamp: z.iso.datetime(),
  signature: z.string().regex(/^[0-9a-f]{128}$/),
});
export type SignedTreeHead = z.infer<typeof signedTreeHeadSchema>;
export type TreeHead = Omit<SignedTreeHead, "signature">;

const DOMAIN = "medshare-sth/v1";
const message = (h: TreeHead) => new TextEncoder().encode(`${DOMAIN}\n${h.log}\n${h.size}\n${h.root}\n${h.timestamp}`);

export function signTreeHead(head: TreeHead, secretKey: Uint8Array): SignedTreeHead {
  return { ...head, signature: toHex(ed25519.sign(message(head), secretKey)) };
}

export function treeHeadSignatureValid(sth: SignedTreeHead, publicKeyHex: string): boolean {
  try {
    return ed25519.verify(fromHex(sth.signature), message(sth), fromHex(publicKeyHex));
  } catch {
    return false;
  }
}

export const publicKeyHex = (secretKey: Uint8Array) => toHex(ed25519.getPublicKey(secretKey));
