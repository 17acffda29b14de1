/**
 * Browser side of a resumable upload: start (the CSP checks envelope and signature), send
 * chunks with retries, ask the CSP which chunks it has after a dropped connection, complete.
 */
import type { z } from "zod";
import type { startUploadSchema } from "@/lib/validation/upload";
import type { PendingFeatures } from "./pending-store";
import { measureSince } from "./timing";
import { encodeFeatureBatch, planFeatureRuns } from "./feature-batch";

/** The start body, as the portal checks it (defined once, in lib/validation/upload.ts). */
export type UploadBody = z.input<typeof startUploadSchema>;

export class UploadError extends Error {}
/** The connection kept failing (the server never said no): a started upload can be resumed. */
export class ConnectionLost extends UploadError {}

/**
 * 503: the portal answers but cannot reach a service behind it (the CSP, the database) right
 * now. Not a refusal: retried, and a started upload stays resumable (its package is kept).
 */
class Unavailable extends Error {}

async function json(res: Response) {
  const body = await res.json().catch(() => ({}));
  if (res.status === 503) throw new Unavailable(body?.error?.message ?? "The service is unavailable right now.");
  if (!res.ok) throw new UploadError(body?.error?.message ?? `The server answered ${res.status}.`);
  return body;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Requests in flight at once per kind (record chunks, feature blocks): the servers work on several while more travel. */
export const IN_FLIGHT = 3;

/** Runs fn over items with at most `limit` running at once; the first failure stops new starts and is thrown. */
export async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}

async function withRetry<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof UploadError) throw error; // the server said no: retrying won't help
      last = error;
      await sleep(300 * 2 ** i);
    }
  }
  if (last instanceof Unavailable) throw new ConnectionLost(last.message);
  throw new ConnectionLost(`The connection keeps dropping (${(last as Error)?.message ?? "network error"}). Try again later.`);
}

/** Starts an upload: the CSP checks the signed start body and reserves room for it. */
export async function startUpload(body: UploadBody): Promise<{ id: string }> {
  const { id } = await withRetry(() =>
    fetch("/api/uploads", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) }).then(json),
  );
  return { id };
}

/**
 * Sends the chunks the CSP lacks (it says which it has) and completes. Used right after the
 * start and again to resume after a reload, from the package kept in this browser. `onSent`:
 * called once, when every chunk has been sent the first time (before the completion).
 */
export async function finishUpload(
  id: string,
  chunks: Uint8Array[],
  onProgress: (sent: number, total: number) => void,
  onSent?: () => void,
): Promise<{ id: string; stored: number }> {
  const sendMissing = async () => {
    const progress = await withRetry(() => fetch(`/api/uploads/${id}`).then(json));
    const have = new Set<number>(progress.received);
    let sent = have.size;
    onProgress(sent, chunks.length);
    const missing = chunks.map((_, i) => i).filter((i) => !have.has(i));
    await inParallel(missing, IN_FLIGHT, async (i) => {
      await withRetry(() =>
        fetch(`/api/uploads/${id}/chunks/${i}`, { method: "PUT", headers: { "Content-Type": "application/octet-stream" }, body: chunks[i] as BodyInit }).then(
          json,
        ),
      );
      onProgress(++sent, chunks.length);
    });
  };
  for (let round = 0; round < 3; round++) {
    const sending = performance.now();
    await sendMissing();
    measureSince("chunks", sending);
    if (round === 0) onSent?.();
    const completing = performance.now();
    const res = await withRetry(async () => {
      const r = await fetch(`/api/uploads/${id}/complete`, { method: "POST" });
      if (r.status === 503) await json(r);
      return r;
    });
    if (res.status === 409) {
      const body = await res.json().catch(() => ({}));
      if (Array.isArray(body.missing)) continue; // some chunk got lost: resend and complete again
      throw new UploadError(body?.error?.message ?? "The upload could not be completed.");
    }
    const done = await json(res);
    measureSince("complete", completing);
    return { id, stored: done.stored };
  }
  throw new UploadError("Chunks keep going missing; the upload was not completed.");
}

/**
 * Sends an upload's CKKS-encrypted feature tensors: declare, one request per block (a block past
 * the body limit goes as several runs; lib/uploads/feature-batch.ts), several in flight, the
 * statistics, complete. Resumable: declaring again says what each block already has, and those
 * runs are skipped. The cloud stores them for clustering. `beforeComplete`: completion waits for
 * it (the records' own completion), so tensors sent alongside the chunks are only marked
 * complete once the records are stored. `beforeRuns`: the runs wait for it, the declaration
 * does not (declaring inserts a row that refers to the upload's, so it would wait for the records'
 * completion, which locks that row: 6 s at 100,000 rows, bench 2026-12-06).
 */
export async function uploadFeatures(
  uploadId: string,
  features: { paramsId: string; keyId: string; n: number; p: number; columns: string[]; blocks: Uint8Array[][]; stats: Uint8Array },
  onProgress: (sent: number, total: number) => void,
  beforeComplete?: Promise<unknown>,
  beforeRuns?: Promise<unknown>,
): Promise<void> {
  const { blocks, stats, ...declared } = features;
  const begun: { received?: number[][] } = await withRetry(() =>
    fetch(`/api/uploads/${uploadId}/features`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...declared, blocks: blocks.length }),
    }).then(json),
  );
  const total = blocks.reduce((n, row) => n + row.length, 0);
  const runs = blocks.flatMap((row, b) => {
    const have = new Set(begun.received?.[b] ?? []);
    return planFeatureRuns(row.map((ct) => ct.length)).map((run) => ({
      block: b,
      ...run,
      stored: Array.from({ length: run.count }, (_, i) => run.first + i).every((f) => have.has(f)),
    }));
  });
  let sent = runs.filter((r) => r.stored).reduce((n, r) => n + r.count, 0);
  onProgress(sent, total);
  await beforeRuns;
  await inParallel(
    runs.filter((r) => !r.stored),
    IN_FLIGHT,
    async ({ block, first, count }) => {
      const body = encodeFeatureBatch({ first, cts: blocks[block].slice(first, first + count) });
      await withRetry(() =>
        fetch(`/api/uploads/${uploadId}/features/${block}`, { method: "PUT", headers: { "Content-Type": "application/octet-stream" }, body }).then(json),
      );
      onProgress((sent += count), total);
    },
  );
  // the blind protocol's tensors carry no statistics (empty)
  if (stats.length > 0)
    await withRetry(() =>
      fetch(`/api/uploads/${uploadId}/features/stats`, {
        method: "PUT",
        headers: { "Content-Type": "application/octet-stream" },
        body: stats as BodyInit,
      }).then(json),
    );
  await beforeComplete;
  const res = await withRetry(() => fetch(`/api/uploads/${uploadId}/features/complete`, { method: "POST" }));
  await json(res);
}

/**
 * Sends the feature tensors; a failure leaves the stored records as they are and says so
 * (`failed`: the caller keeps the encrypted tensors so /hospital can retry sending them).
 * Never throws. `beforeComplete`, `beforeRuns`: see uploadFeatures.
 */
export async function sendFeatures(
  uploadId: string,
  features: PendingFeatures | null,
  note: string,
  onProgress: (sent: number, total: number) => void,
  beforeComplete?: Promise<unknown>,
  beforeRuns?: Promise<unknown>,
): Promise<{ failed: boolean; note: string }> {
  if (!features) return { failed: false, note };
  try {
    await uploadFeatures(uploadId, features, onProgress, beforeComplete, beforeRuns);
    return { failed: false, note };
  } catch (error) {
    return {
      failed: true,
      note: `The records are stored, but their clustering tensors could not be sent (${(error as Error).message}), so they cannot be clustered yet.`,
    };
  }
}
