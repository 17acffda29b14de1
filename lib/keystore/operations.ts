/**
 * What a person's browser does with its key store: create it, take in newly issued (wrapped)
 * keys after checking them against the public verification keys, drop revoked ones, make the
 * transform key for outsourced decryption, and hand lib/abe the keys it needs. Isomorphic.
 */
import {
  AbeError,
  decodeAttributeVk,
  decodeTransformSecret,
  decodeUserKeys,
  encodeTransformKey,
  encodeTransformSecret,
  generateWrapKeyPair,
  makeTransformKey,
  transformKeyFor,
  unwrapKey,
  verifyUserKey,
  type AttributeVk,
  type G2,
  type TransformSecret,
  type UserKeys,
} from "../abe";
import { keyId, parseKeyId, sikWrapContext } from "./contexts";
import { b64, type KeystoreContents } from "./sealed";

/** One row of /api/public-keys. */
export type PublicKeyRow = { attribute: string; version: number; current: boolean; vk: string; description?: string };
/** One issued key as the server lists it (still wrapped). */
export type IssuedKeyRow = { attribute: string; version: number; wrapped: string };

export function newKeystore(gid: string): KeystoreContents {
  const pair = generateWrapKeyPair();
  return { v: 1, gid, wrapSecretKey: b64.encode(pair.secretKey), wrapPublicKey: b64.encode(pair.publicKey), keys: {}, transform: null };
}

export function vkIndex(rows: PublicKeyRow[]): Map<string, AttributeVk> {
  return new Map(rows.map((r) => [keyId(r.attribute, r.version), decodeAttributeVk(b64.decode(r.vk))]));
}

export type AbsorbResult = { contents: KeystoreContents; added: string[]; removed: string[]; rejected: Array<{ key: string; reason: string }> };

/**
 * Brings the store in line with the server's list of issued keys: unwraps and verifies new
 * ones (e(g1, SIK) must match VK_i and the GID), removes those no longer issued (revoked).
 * A key that fails to unwrap or verify is reported, never stored.
 */
export function absorbIssuedKeys(contents: KeystoreContents, issued: IssuedKeyRow[], vks: Map<string, AttributeVk>): AbsorbResult {
  const keys = { ...contents.keys };
  const added: string[] = [];
  const rejected: AbsorbResult["rejected"] = [];
  const wanted = new Set(issued.map((k) => keyId(k.attribute, k.version)));
  for (const k of issued) {
    const id = keyId(k.attribute, k.version);
    if (keys[id]) continue;
    try {
      const plain = unwrapKey(b64.decode(contents.wrapSecretKey), b64.decode(k.wrapped), sikWrapContext(contents.gid, k.attribute, k.version));
      const uk = decodeUserKeys(plain);
      const K = uk.keys.get(k.attribute);
      const vk = vks.get(id);
      if (uk.gid !== contents.gid || !K || uk.keys.size !== 1) throw new Error("the key is not for you or not for this attribute");
      if (!vk) throw new Error("no public verification key is published for it");
      if (!verifyUserKey(vk, contents.gid, K)) throw new Error("it does not match the authority's verification key");
      keys[id] = b64.encode(plain);
      added.push(id);
    } catch (error) {
      const reason = error instanceof AbeError ? `it could not be unwrapped (${error.code}); was it wrapped for another key store?` : (error as Error).message;
      rejected.push({ key: id, reason });
    }
  }
  const removed = Object.keys(keys).filter((id) => !wanted.has(id));
  for (const id of removed) delete keys[id];
  // z stays: a transform key covering a removed (revoked) key is out of date and is made again
  // over the keys that remain (transformOutOfDate), under the same z.
  return { contents: { ...contents, keys }, added, removed, rejected };
}

function sik(contents: KeystoreContents, id: string): G2 {
  const { attribute } = parseKeyId(id);
  return decodeUserKeys(b64.decode(contents.keys[id])).keys.get(attribute)!;
}

/** The newest key version held per attribute. */
export function latestVersions(contents: KeystoreContents): Record<string, number> {
  const latest: Record<string, number> = {};
  for (const id of Object.keys(contents.keys)) {
    const { attribute, version } = parseKeyId(id);
    latest[attribute] = Math.max(latest[attribute] ?? 0, version);
  }
  return latest;
}

/** Keys for lib/abe, choosing for each attribute the version given (default: newest). */
export function userKeys(contents: KeystoreContents, versions: Record<string, number> = latestVersions(contents)): UserKeys {
  const keys = new Map<string, G2>();
  for (const [attribute, version] of Object.entries(versions)) {
    const id = keyId(attribute, version);
    if (contents.keys[id]) keys.set(attribute, sik(contents, id));
  }
  return { gid: contents.gid, keys };
}

/**
 * Every key version held, as transform-key layers: layer 0 the newest version of each attribute,
 * layer 1 the next older ones, and so on. A holder keeps old versions after a rotation, so uploads
 * encrypted under either version find their key (issue #15).
 */
export function versionLayers(contents: KeystoreContents): Array<Record<string, number>> {
  const byAttribute = new Map<string, number[]>();
  for (const id of Object.keys(contents.keys)) {
    const { attribute, version } = parseKeyId(id);
    byAttribute.set(attribute, [...(byAttribute.get(attribute) ?? []), version]);
  }
  const layers: Array<Record<string, number>> = [];
  for (const [attribute, versions] of byAttribute) {
    versions.sort((a, b) => b - a);
    versions.forEach((v, j) => ((layers[j] ??= {})[attribute] = v));
  }
  return layers;
}

/** Key ids ("HA1.cardiology@1") a transform key covers; an older store lists only its newest versions. */
export function transformCovers(transform: NonNullable<KeystoreContents["transform"]>): string[] {
  return (transform.covers ?? Object.entries(transform.keyVersions).map(([a, v]) => keyId(a, v))).slice().sort();
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Whether the transform key must be made again: it (here, or as the authority stores it,
 * `serverCovers`, null when the authority holds none) does not cover exactly the keys held.
 */
export function transformOutOfDate(contents: KeystoreContents, serverCovers: string[] | null): boolean {
  if (!contents.transform) return false;
  const held = Object.keys(contents.keys).sort();
  if (held.length === 0) return false;
  return !serverCovers || !sameList(transformCovers(contents.transform), held) || !sameList([...serverCovers].sort(), held);
}

/**
 * Makes TK = {SIK_i^(1/z)} over every key held, in layers (versionLayers). Keeps the store's z
 * when it has one (a refresh), so decryptions under way still finish; otherwise picks a new z.
 * Returns what to send and the updated store holding z, which never leaves the browser.
 */
export function createTransformKey(contents: KeystoreContents): {
  layers: Array<{ tk: string; keyVersions: Record<string, number> }>;
  keyVersions: Record<string, number>;
  contents: KeystoreContents;
} {
  const versionSets = versionLayers(contents);
  if (versionSets.length === 0) throw new Error("You hold no attribute keys yet.");
  let secret = transformSecret(contents);
  if (!secret || secret.gid !== contents.gid) secret = makeTransformKey(userKeys(contents, versionSets[0])).secret;
  const layers = versionSets.map((keyVersions) => ({
    tk: b64.encode(encodeTransformKey(transformKeyFor(userKeys(contents, keyVersions), secret))),
    keyVersions,
  }));
  const covers = versionSets.flatMap((set) => Object.entries(set).map(([a, v]) => keyId(a, v))).sort();
  return {
    layers,
    keyVersions: versionSets[0],
    contents: { ...contents, transform: { secret: b64.encode(encodeTransformSecret(secret)), keyVersions: versionSets[0], covers } },
  };
}

export function transformSecret(contents: KeystoreContents): TransformSecret | null {
  return contents.transform ? decodeTransformSecret(b64.decode(contents.transform.secret)) : null;
}
