import { describe, expect, it } from "vitest";
import { callWorker, type JobMessage } from "./worker-call";

type Message = { type: "progress"; done: number } | { type: "done"; sum: number } | { type: "error"; message: string };

/** A stand-in with a Worker's message surface that answers jobs by the script it is given. */
function scripted(answer: (job: number[], send: (m: Message) => void, fail: (message: string) => void) => void) {
  const state = { terminated: false, transferred: [] as Transferable[] };
  const worker = {
    onmessage: null as ((e: MessageEvent<Message>) => void) | null,
    onerror: null as ((e: ErrorEvent) => void) | null,
    postMessage(job: number[], transfer: Transferable[]) {
      state.transferred = transfer;
      queueMicrotask(() =>
        answer(
          job,
          (m) => worker.onmessage?.({ data: m } as MessageEvent<Message>),
          (message) => worker.onerror?.({ message } as ErrorEvent),
        ),
      );
    },
    terminate() {
      state.terminated = true;
    },
  };
  return { start: () => worker as unknown as Worker, state };
}

describe("callWorker: the job-worker protocol", () => {
  it("passes progress on, answers with the done message and ends the worker", async () => {
    const { start, state } = scripted((job, send) => {
      job.forEach((_, i) => send({ type: "progress", done: i + 1 }));
      send({ type: "done", sum: job.reduce((a, b) => a + b, 0) });
    });
    const seen: number[] = [];
    const buffer = new ArrayBuffer(8);
    const done = await callWorker<number[], Message>(start, [1, 2, 3], "The test worker failed.", { onProgress: (m) => seen.push(m.done), transfer: [buffer] });
    expect(done).toEqual({ type: "done", sum: 6 });
    expect(seen).toEqual([1, 2, 3]);
    expect(state.transferred).toEqual([buffer]);
    expect(state.terminated).toBe(true);
  });

  it("rejects with the worker's own message, and ends the worker", async () => {
    const { start, state } = scripted((_, send) => send({ type: "error", message: "This key cannot open the upload." }));
    await expect(callWorker<number[], Message>(start, [], "The test worker failed.")).rejects.toThrow("This key cannot open the upload.");
    expect(state.terminated).toBe(true);
  });

  it("a worker that fails to load is reported with the caller's sentence when it gives none", async () => {
    const { start } = scripted((_, __, fail) => fail(""));
    await expect(callWorker<number[], JobMessage>(start, [], "The test worker failed.")).rejects.toThrow("The test worker failed.");
  });
});
