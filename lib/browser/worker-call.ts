/**
 * Calling a job worker: the one protocol every MedShare worker that answers a job speaks
 * (seal, encrypt, features, decrypt). The page posts a job; the worker sends any number of
 * `progress` messages, then exactly one `done` or one `error` with a message for the user.
 *
 * Workers are created by the caller (`start`) because the bundler finds a worker's entry only
 * in a literal `new Worker(new URL("./x.worker.ts", import.meta.url))` at the call site.
 */
export type JobMessage = { type: "progress" } | { type: "done" } | { type: "error"; message: string };

type Progress<M> = Extract<M, { type: "progress" }>;
type Done<M> = Extract<M, { type: "done" }>;

export type CallOptions<M> = {
  onProgress?: (message: Progress<M>) => void;
  /** Buffers handed over to the worker (the page's copies become unusable). */
  transfer?: Transferable[];
};

/** One worker that runs jobs one after another; `stop` ends it. */
export function workerLane<Job, M extends { type: string }>(start: () => Worker, failure: string) {
  const worker = start();
  return {
    call(job: Job, options: CallOptions<M> = {}): Promise<Done<M>> {
      return new Promise<Done<M>>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent<M>) => {
          const message = event.data;
          if (message.type === "progress") options.onProgress?.(message as Progress<M>);
          else if (message.type === "done") resolve(message as Done<M>);
          else reject(new Error((message as { message?: string }).message || failure));
        };
        // A worker that fails to load or throws outside its handler: `failure` says which one.
        worker.onerror = (event) => reject(new Error(event.message || failure));
        worker.postMessage(job, options.transfer ?? []);
      });
    },
    stop: () => worker.terminate(),
  };
}

/** One job on a worker of its own, which is ended whatever the outcome. */
export async function callWorker<Job, M extends { type: string }>(
  start: () => Worker,
  job: Job,
  failure: string,
  options: CallOptions<M> = {},
): Promise<Done<M>> {
  const lane = workerLane<Job, M>(start, failure);
  try {
    return await lane.call(job, options);
  } finally {
    lane.stop();
  }
}
