"use client";

import { useCallback, useEffect, useState } from "react";
import { keyMaterialAction } from "@/lib/actions/keys/key-material";
import { loadSealed, saveSealed } from "@/lib/keystore/idb";
import { absorbIssuedKeys, vkIndex, type AbsorbResult, type PublicKeyRow } from "@/lib/keystore/operations";
import { needsReseal, openKeystore, sealKeystore, type KeystoreContents, type SealedKeystore } from "@/lib/keystore/sealed";

export type KeyMaterial = {
  gid: string;
  hasWrapKey: boolean;
  grants: Array<{ attribute: string; description: string; currentVersion: number; grantedAt: string }>;
  keys: Array<{ attribute: string; version: number; issuedAt: string; wrapped: string }>;
  transformKey: { keyVersions: Record<string, number>; createdAt: string } | null;
};

export async function fetchPublicKeys(): Promise<PublicKeyRow[]> {
  const r = await fetch("/api/public-keys", { credentials: "same-origin" });
  if (!r.ok) throw new Error("Could not load the public verification keys.");
  return (await r.json()).keys;
}

type Unlocked = { contents: KeystoreContents; passphrase: string; sync: Omit<AbsorbResult, "contents"> | null };

/**
 * The browser's key store for the signed-in person: whether one exists here, unlocking it
 * with the passphrase, and keeping it in step with the keys the authority issued.
 */
export function useKeyStore(gid: string, initial: KeyMaterial) {
  const [material, setMaterial] = useState(initial);
  const [sealed, setSealed] = useState<SealedKeystore | null | undefined>(undefined);
  const [unlocked, setUnlocked] = useState<Unlocked | null>(null);

  useEffect(() => {
    loadSealed(gid).then((s) => setSealed(s ?? null), () => setSealed(null));
  }, [gid]);

  const refreshMaterial = useCallback(async () => {
    const r = await keyMaterialAction({});
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
   * A store sealed under the old scrypt format is sealed again under Argon2id right away.
   */
  const unlock = useCallback(
    async (store: SealedKeystore, passphrase: string, opts: { save?: boolean } = {}) => {
      const contents = await openKeystore(store, passphrase, gid);
      const [fresh, vks] = await Promise.all([refreshMaterial(), fetchPublicKeys()]);
      const result = absorbIssuedKeys(contents, fresh.keys, vkIndex(vks));
      const changed = opts.save || needsReseal(store) || result.added.length > 0 || result.removed.length > 0 || result.contents.transform !== contents.transform;
      if (changed) await persist(result.contents, passphrase);
      const { contents: next, ...sync } = result;
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
