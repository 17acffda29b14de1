/**
 * Stage timings of one upload in the browser, as User Timing measures (`medshare-upload:<stage>`)
 * that `npm run bench:upload` reads from the page (performance.getEntriesByType("measure")).
 * Only names and durations: nothing about the records. Stages may overlap (they run concurrently).
 */
export const UPLOAD_MEASURE = "medshare-upload:";

export type UploadStage = "parse" | "encode" | "abe-aes" | "ckks" | "keep" | "start" | "chunks" | "complete" | "features-upload" | "total";

/** Times `fn` as one stage (a measure from its start to its end, thrown or not). */
export async function timed<T>(stage: UploadStage, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    measureSince(stage, start);
  }
}

/** Records a stage that began at `start` (performance.now()) and ends now. */
export function measureSince(stage: UploadStage, start: number): void {
  try {
    performance.measure(UPLOAD_MEASURE + stage, { start, end: performance.now() });
  } catch {
    // User Timing missing (old browser, some workers): timings are optional
  }
}

/** Forgets the previous upload's measures (a new file was picked). */
export function clearUploadMeasures(): void {
  try {
    for (const m of performance.getEntriesByType("measure")) if (m.name.startsWith(UPLOAD_MEASURE)) performance.clearMeasures(m.name);
  } catch {
    // see measureSince
  }
}
