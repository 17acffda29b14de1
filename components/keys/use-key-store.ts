"use client";

import { useCallback, useEffect, useState } from "react";
import { keyMaterialAction } from "@/lib/actions/keys/key-material";
import { getOnceMore } from "@/lib/browser/get-once-more";
import { loadSealed, saveSealed } from "@/lib/keystore/idb";
import { storeTransformKeyAction } from "@/lib/actions/keys/store-transform-key";
import { absorbIssuedKeys, createTransformKey, transformOutOfDate, vkIndex, type AbsorbResult, type PublicKeyRow } from "@/lib/keystore/operations";
import { needsReseal, openKeystore, sealKeystore, type KeystoreContents, type SealedKeystore } from "@/lib/keystore/sealed";
import { reach } from "@/lib/actions/reach";

export type KeyMaterial = {
  gid: string;
  hasWrapKey: boolean;
  /** Attribute authority services that could not issue this person's keys just now (unreachable). */
  pendingAuthorities: string[];
  grants: Array<{
    attribute: string;
    description: string;
    currentVersion: number;
    grantedAt: string;
    /** The namespace's authority and the AA service that runs it (holds its master secrets, issues its keys). */
    issuer: { code: string; name: string; service: string };
  }>;
  keys: Array<{ attribute: string; version: number; issuedAt: string; wrapped: string }>;
  /** covers: every key version the stored layers cover, e.g. "HA1.cardiology@1". */
  transformKey: { keyVersions: Record<string, number>; covers: string[]; createdAt: string } | null;
};

export async function fetchPublicKeys(): Promise<PublicKeyRow[]> {
  // Revalidated every time (a 304 when unchanged): a key version issued a minute ago must verify.
  const r = await getOnceMore("/api/public-keys", { credentials: "same-origin", cache: "no-cache" });
  if (!r?.ok) throw new Error("Could not load the public verification keys.");
  return (await r.json()).keys;
}

/** refreshed: the transform key was made again on unlock (new key versions); refreshError: why that failed. */
type Sync = Omit<AbsorbResult, "contents"> & { refreshed?: boolean; refreshError?: string };
type Unlocked = { contents: KeystoreContents; passphrase: string; sync: Sync | null };

/**
 * The browser's key store for the signed-in person: whether one exists here, unlocking it
 * with the passphrase, and keeping it in step with the keys the authority issued.
 */
export function useKeyStore(gid: string, initial: KeyMaterial) {
  const [material, setMaterial] = useState(initial);
  const [sealed, setSealed] = useState<SealedKeystore | null | undefined>(undefined);
  const [unlocked, setUnlocked] = useState<Unlocked | null>(null);

  useEffect(() => {
    loadSealed(gid).then(
      (s) => setSealed(s ?? null),
      () => setSealed(null),
    );
  }, [gid]);

  const refreshMaterial = useCallback(async () => {
    const r = await reach(keyMaterialAction)({});
    if (!r.ok) throw new Error(r.error.message);
    setMaterial(r.data);
    return r.data as KeyMaterial;
  }, []);

  /** Saves new contents sealed under the passphrase that opened them, here and in IndexedDB. */
  const persist = useCallback(async (contents: KeystoreContents, passphrase: string) => {
    const next = await sealKeystore(contents, passphrase, { reseal: true });
    await saveSealed(next);
    setSealed(next);
    return next;
  }, []);

  /**
   * Unlocks (or adopts) a sealed store, then takes in newly issued keys and drops revoked ones.
   * A transform key this person made and the authority still holds is brought up to date at once
   * (a rotation issued a new key version), under the same z: nothing to do by hand (issue #15).
   * A store sealed under the old scrypt format is sealed again under Argon2id right away.
   */
  const unlock = useCallback(
    async (store: SealedKeystore, passphrase: string, opts: { save?: boolean } = {}) => {
      const contents = await openKeystore(store, passphrase, gid);
      const [fresh, vks] = await Promise.all([refreshMaterial(), fetchPublicKeys()]);
      const result = absorbIssuedKeys(contents, fresh.keys, vkIndex(vks));
      let { contents: next } = result;
      const sync: Sync = { added: result.added, removed: result.removed, rejected: result.rejected };
      // Only a transform key the authority still holds is extended: one it destroyed (a revocation)
      // or the person deleted is made again by hand on /keys.
      if (fresh.transformKey && transformOutOfDate(next, fresh.transformKey.covers)) {
        try {
          const made = createTransformKey(next);
          const r = await reach(storeTransformKeyAction)({ layers: made.layers });
          if (!r.ok) throw new Error(r.error.message);
          next = made.contents;
          sync.refreshed = true;
          await refreshMaterial();
        } catch (error) {
          sync.refreshError = (error as Error).message;
        }
      }
      const changed = opts.save || needsReseal(store) || result.added.length > 0 || result.removed.length > 0 || next.transform !== contents.transform;
      if (changed) await persist(next, passphrase);
      setUnlocked({ contents: next, passphrase, sync });
    },
    [gid, persist, refreshMaterial],
  );

  const update = useCallback(
    async (contents: KeystoreContents) => {
      if (!unlocked) throw new Error("The key store is locked.");
      await persist(contents, unlocked.passphrase);
      setUnlocked({ ...unlocked, contents });
    },
    [persist, unlocked],
  );

  return { material, sealed, unlocked, unlock, update, persist, refreshMaterial, lock: () => setUnlocked(null), setUnlocked };
}
