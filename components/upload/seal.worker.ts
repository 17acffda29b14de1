/// <reference lib="webworker" />
/**
 * Seals one slice of an upload batch off the main thread: encodes its rows, encrypts each with
 * its per-record AES-GCM key derived from the batch's zeta (lib/abe sealBatchRecordsNative: the
 * browser's own AES-GCM, the same bytes as the pure-JS sealBatchRecords), frames
 * the ciphertexts as they travel and hashes each into its Merkle leaf. Several of these run in
 * parallel on slices of one batch; the page packs their output into chunks and the envelope
 * worker (encrypt.worker.ts) commits to the leaves.
 */
import { leafHash, sealBatchRecordsNative } from "@/lib/abe";
import type { Row } from "@/lib/records/dataset";
import { recordBytes } from "@/lib/records/encode";
import { frameRecords } from "@/lib/uploads/protocol";

export type SealJob = { zeta: Uint8Array; firstIndex: number; rows: Row[]; columns: string[] };
export type SealMessage =
  /** bytes: the slice's framed records back to back; lengths: each one's framed length; leaves: 32 bytes per record, in order. */
  { type: "done"; bytes: Uint8Array; lengths: Uint32Array; leaves: Uint8Array; plaintextBytes: number } | { type: "error"; message: string };

const post = (m: SealMessage, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m, transfer);

self.onmessage = async (event: MessageEvent<SealJob>) => {
  const { zeta, firstIndex, rows, columns } = event.data;
  try {
    let plaintextBytes = 0;
    const records = rows.map((row) => {
      const data = recordBytes(row, columns);
      plaintextBytes += data.length;
      // the record's id is chosen here, at random: nothing about the patient
      return { id: crypto.randomUUID(), data };
    });
    const { bytes, lengths } = frameRecords(await sealBatchRecordsNative(zeta, records, firstIndex));
    const leaves = new Uint8Array(32 * lengths.length);
    let o = 0;
    lengths.forEach((len, i) => {
      leaves.set(leafHash(bytes.subarray(o + 4, o + len)), 32 * i);
      o += len;
    });
    post({ type: "done", bytes, lengths, leaves, plaintextBytes }, [bytes.buffer as ArrayBuffer, lengths.buffer as ArrayBuffer, leaves.buffer as ArrayBuffer]);
  } catch (error) {
    post({ type: "error", message: (error as Error).message ?? "Encryption failed." });
  }
};
