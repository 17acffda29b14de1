/**
 * Test and benchmark helpers (not part of the public API): a seeded deterministic RNG and a
 * tiny attribute-universe fixture.
 *
 * Exports: seededRng, makeAuthorities, makeUserKeys.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, u32be, utf8 } from "./codec";
import type { Rng } from "./group";
import { keygen, precomputeVk, setupAttribute } from "./keys";
import type { AttributeAuthorityKeys, AttributeVk, UserKeys } from "./types";

/** Deterministic byte stream: SHA-256(seed || counter) blocks. Never for production keys. */
export function seededRng(seed: string): Rng {
  let counter = 0;
  let buf: Uint8Array = new Uint8Array(0);
  const s = utf8.encode(seed);
  return (n: number) => {
    while (buf.length < n) buf = concatBytes(buf, sha256(concatBytes(s, u32be(counter++))));
    const out = buf.slice(0, n);
    buf = buf.slice(n);
    return out;
  };
}

/** One authority key pair per attribute name, with the encryptor's tables precomputed. */
export function makeAuthorities(
  names: readonly string[],
  seed = "authorities",
): {
  auth: Map<string, AttributeAuthorityKeys>;
  vks: Map<string, AttributeVk>;
} {
  const rng = seededRng(seed);
  const auth = new Map<string, AttributeAuthorityKeys>();
  const vks = new Map<string, AttributeVk>();
  for (const name of names) {
    const a = setupAttribute(name, rng);
    precomputeVk(a.vk);
    auth.set(name, a);
    vks.set(name, a.vk);
  }
  return { auth, vks };
}

export function makeUserKeys(auth: ReadonlyMap<string, AttributeAuthorityKeys>, gid: string, attrs: Iterable<string>): UserKeys {
  const keys = new Map<string, ReturnType<typeof keygen>>();
  for (const a of attrs) {
    const k = auth.get(a);
    if (!k) throw new Error(`no authority for ${a}`);
    keys.set(a, keygen(k.secret, gid));
  }
  return { gid, keys };
}
