/**
 * The browser's copy of a person's sealed key store, in IndexedDB (one record per GID).
 * Only sealed stores are written: nothing here is readable without the passphrase.
 */
import { idbStore } from "../browser/idb-store";
import type { SealedKeystore } from "./sealed";

const run = idbStore("medshare", "keystores", "gid");

export const loadSealed = (gid: string) => run<SealedKeystore | undefined>("readonly", (s) => s.get(gid));
export const saveSealed = (sealed: SealedKeystore) => run("readwrite", (s) => s.put(sealed));
export const deleteSealed = (gid: string) => run("readwrite", (s) => s.delete(gid));
