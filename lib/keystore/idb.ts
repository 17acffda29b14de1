/**
 * The browser's copy of a person's sealed key store, in IndexedDB (one record per GID).
 * Only sealed stores are written: nothing here is readable without the passphrase.
 */
import type { SealedKeystore } from "./sealed";

const DB = "medshare";
const STORE = "keystores";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "gid" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run<T>(mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export const loadSealed = (gid: string) => run<SealedKeystore | undefined>("readonly", (s) => s.get(gid));
export const saveSealed = (sealed: SealedKeystore) => run("readwrite", (s) => s.put(sealed));
export const deleteSealed = (gid: string) => run("readwrite", (s) => s.delete(gid));
