/**
 * Browser-only store of uploads in flight, so one can be resumed after a page reload: the
 * signed start body and the encrypted package (record ciphertext chunks and CKKS feature
 * ciphertexts). Never plaintext. Deleted once the upload is stored, discarded or expired.
 */
import { idbStore } from "@/lib/browser/idb-store";
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

const run = idbStore("medshare-pending-uploads", "uploads", "id");

export const savePending = (pending: PendingUpload) => run("readwrite", (s) => s.put(pending)).then(() => undefined);
export const loadPending = (id: string) => run<PendingUpload | undefined>("readonly", (s) => s.get(id));
export const pendingIds = () => run("readonly", (s) => s.getAllKeys()).then((keys) => keys.map(String));
export const deletePending = (id: string) => run("readwrite", (s) => s.delete(id)).then(() => undefined);

/**
 * Keeps only the clustering tensors of an upload the cloud stored without them (sending them
 * failed): /hospital offers to send them again. The record chunks are no longer needed.
 */
export const keepFeaturesOnly = (pending: PendingUpload) => savePending({ ...pending, chunks: [] });

/**
 * Drops packages the cloud no longer waits for: stored (with its clustering tensors, or with
 * none kept here to send), past their expiry, or unknown to it (discarded, swept, refused) once
 * older than `graceMs` (a start may still be on its way).
 */
export async function prunePending(
  organisationId: string,
  uploads: { id: string; status: string; expiresAt: string | null; clusteringStored: boolean }[],
  graceMs = 10 * 60_000,
): Promise<void> {
  const now = Date.now();
  const known = new Map(uploads.map((u) => [u.id, u]));
  for (const id of await pendingIds()) {
    const pending = await loadPending(id);
    if (!pending || pending.organisationId !== organisationId) continue;
    const u = known.get(id);
    const waitsForFeatures = u?.status === "STORED" && !u.clusteringStored && pending.features !== null;
    const gone = u
      ? !waitsForFeatures && (u.status !== "RECEIVING" || (u.expiresAt !== null && Date.parse(u.expiresAt) <= now))
      : pending.savedAt + graceMs <= now;
    if (gone) await deletePending(id);
  }
}
