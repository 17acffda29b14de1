import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./write-atomic";

/**
 * e2e/supervisor.spec.ts read run.json while `npm start` rewrote it after a restart and got
 * "Unexpected end of JSON input" (CI 2026-12-06): writeFileSync truncates, then writes. A reader
 * polling while another thread rewrites the file must only ever see whole contents.
 */
describe("writeFileAtomic", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "medshare-atomic-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const content = JSON.stringify({ web: 12345, padding: "x".repeat(200_000) });

  /**
   * Rewrites the file here while a reader thread reads it as fast as it can; returns how many reads
   * were not the whole content. `untilSeen`: stop rewriting as soon as one was (else 300 rewrites).
   */
  async function halfReadsWhile(write: (file: string) => void, name: string, untilSeen = false): Promise<number> {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    const seen = new Int32Array(new SharedArrayBuffer(8)); // [half reads, stop]
    const reader = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
       const fs = require("node:fs");
       const seen = workerData.seen;
       parentPort.postMessage("reading");
       while (Atomics.load(seen, 1) === 0) if (fs.readFileSync(workerData.file, "utf8") !== workerData.content) Atomics.add(seen, 0, 1);
       parentPort.postMessage("done");`,
      { eval: true, workerData: { file, content, seen } },
    );
    await new Promise((r) => reader.once("message", r));
    for (let i = 0; i < (untilSeen ? 20_000 : 300) && !(untilSeen && Atomics.load(seen, 0) > 0); i++) write(file);
    Atomics.store(seen, 1, 1);
    await new Promise((r) => reader.once("message", r));
    await reader.terminate();
    return Atomics.load(seen, 0);
  }

  it("writes the content with the mode asked for", () => {
    const file = path.join(dir, "run.json");
    writeFileAtomic(file, "{}");
    writeFileAtomic(file, content, 0o640);
    expect(readFileSync(file, "utf8")).toBe(content);
  });

  it("never shows a reader a half-written file, where a plain rewrite does", async () => {
    expect(await halfReadsWhile((f) => writeFileSync(f, content), "plain.json", true)).toBeGreaterThan(0); // the race the journey hit
    expect(await halfReadsWhile((f) => writeFileAtomic(f, content), "atomic.json")).toBe(0);
  });
});
