/**
 * Browser-only store of uploads in flight, so one can be resumed after a page reload: the
 * signed start body and the encrypted package (record ciphertext chunks and CKKS feature
 * ciphertexts). Never plaintext. Deleted once the upload is stored, discarded or expired.
 */
import type { UploadBody } from "./client";

export type PendingFeatures = { paramsId: string; keyId: string; n: number; p: number; columns: string[]; blocks: Uint8Array[][]; stats: Uint8Array };

export type PendingUpload = {
  id: string;
  /** Whose it is: a shared browser prunes only the packages of the organisation signed in. */
  organisationId: string;
  body: UploadBody;
  chunks: Uint8Array[];
  features: PendingFeatures | null;
  /** What the wizard would have said about the clustering tensors (e.g. too few numeric fields). */
  featuresNote: string;
  savedAt: number;
};

const DB = "medshare-pending-uploads";
const STORE = "uploads";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
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

export const savePending = (pending: PendingUpload) => run("readwrite", (s) => s.put(pending)).then(() => undefined);
export const loadPending = (id: string) => run<PendingUpload | undefined>("readonly", (s) => s.get(id));
export const pendingIds = () => run("readonly", (s) => s.getAllKeys()).then((keys) => keys.map(String));
export const deletePending = (id: string) => run("readwrite", (s) => s.delete(id)).then(() => undefined);

/**
 * Drops packages the cloud no longer waits for: stored, past their expiry, or unknown to it
 * (discarded, swept, refused) once older than `graceMs` (a start may still be on its way).
 */
export async function prunePending(organisationId: string, uploads: { id: string; status: string; expiresAt: string | null }[], graceMs = 10 * 60_000): Promise<void> {
  const now = Date.now();
  const known = new Map(uploads.map((u) => [u.id, u]));
  for (const id of await pendingIds()) {
    const pending = await loadPending(id);
    if (!pending || pending.organisationId !== organisationId) continue;
    const u = known.get(id);
    const gone = u ? u.status !== "RECEIVING" || (u.expiresAt !== null && Date.parse(u.expiresAt) <= now) : pending.savedAt + graceMs <= now;
    if (gone) await deletePending(id);
  }
}
