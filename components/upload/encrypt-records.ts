/**
 * The records' side of an upload, spread over Web Workers: slices of rows sealed in parallel
 * (seal.worker.ts: encode, per-record AES-GCM under keys from the batch's zeta, frame, leaf
 * hash), packed into chunks here as they come back, then the envelope and the hospital's
 * signature over the whole batch (encrypt.worker.ts). The clustering tensors run in their own
 * worker meanwhile (features.worker.ts, started by the wizard).
 */
import type { Row } from "@/lib/records/dataset";
import { packFramed, type FramedRecords } from "@/lib/uploads/protocol";
import type { EncryptJob, EncryptMessage } from "./encrypt.worker";
import type { SealJob, SealMessage } from "./seal.worker";
import { callWorker, workerLane } from "@/lib/browser/worker-call";

/** Rows per slice handed to a seal worker: small enough for steady progress, large enough to amortise messaging. */
export const SLICE_ROWS = 4096;

/** Seal workers: one per core, at most 4 (the tensors' worker takes a core too). */
export function sealWorkerCount(): number {
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency || 2 : 2;
  return Math.max(1, Math.min(4, cores));
}

type Sealed = Extract<SealMessage, { type: "done" }>;

/** One worker's job queue: jobs run one after another on it. */
const sealLane = () =>
  workerLane<SealJob, SealMessage>(() => new Worker(new URL("./seal.worker.ts", import.meta.url), { type: "module" }), "The encryption worker failed.");

/**
 * Seals every row (record i at position i) with the batch's zeta, in parallel slices. Returns
 * the chunks as they travel, their total size, the leaves (32 bytes per record, in order) and
 * the plaintext size. `onProgress(rowsDone, rows)` after each slice.
 */
export async function sealRows(rows: readonly Row[], columns: string[], zeta: Uint8Array, onProgress: (done: number, total: number) => void) {
  const slices: Array<{ first: number; rows: Row[] }> = [];
  for (let first = 0; first < rows.length; first += SLICE_ROWS) slices.push({ first, rows: rows.slice(first, first + SLICE_ROWS) });
  const out: Sealed[] = new Array(slices.length);
  const lanes = Array.from({ length: Math.min(sealWorkerCount(), slices.length) }, sealLane);
  let next = 0;
  let done = 0;
  try {
    await Promise.all(
      lanes.map(async (lane) => {
        while (next < slices.length) {
          const k = next++;
          out[k] = await lane.call({ zeta, firstIndex: slices[k].first, rows: slices[k].rows, columns });
          done += slices[k].rows.length;
          onProgress(done, rows.length);
        }
      }),
    );
  } finally {
    for (const lane of lanes) lane.stop();
  }
  const framed: FramedRecords[] = out.map(({ bytes, lengths }) => ({ bytes, lengths }));
  const chunks = packFramed(framed);
  const leaves = new Uint8Array(32 * rows.length);
  let o = 0;
  for (const s of out) {
    leaves.set(s.leaves, o);
    o += s.leaves.length;
  }
  if (o !== leaves.length) throw new Error("The encryption workers returned the wrong number of records.");
  return { chunks, totalBytes: chunks.reduce((n, c) => n + c.length, 0), leaves, plaintextBytes: out.reduce((n, s) => n + s.plaintextBytes, 0) };
}

/** The envelope over the sealed batch and the hospital's signature (encrypt.worker.ts). */
export function sealEnvelopeAndSign(job: EncryptJob): Promise<Extract<EncryptMessage, { type: "done" }>> {
  return callWorker<EncryptJob, EncryptMessage>(
    () => new Worker(new URL("./encrypt.worker.ts", import.meta.url), { type: "module" }),
    job,
    "The encryption worker failed.",
    { transfer: [job.leaves.buffer as ArrayBuffer] },
  );
}
