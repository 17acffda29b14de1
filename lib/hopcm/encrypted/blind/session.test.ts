// The blind protocol's two ends as two services would hold them (issue #14, #12's boundary): keys
// made once and split into bytes, the CSP built from the relinearisation keys only, the key
// holder's session from the secret key, every message bytes. And what the session refuses.
import { describe, expect, it } from "vitest";
import { blindCluster, type BlindOptions } from "../../blind";
import { adjustedRandIndex } from "../../metrics";
import { makeBlobs } from "../../synthetic";
import { loadSealNode } from "../seal-node";
import { blindCspTools, blindKeyHolder, createBlindKeys, encryptBlindFeatures } from "./keys";
import { BlindCsp, type KeyHolderWire } from "./run";
import { BlindKeyHolderSession, BlindProtocolError, driveBlindRun, sessionWire, type BlindOrder } from "./session";

describe("the blind protocol's session between two parties", () => {
  it("runs from split keys: the CSP's tools hold no secret key, the labels match the reference", async () => {
    const seal = await loadSealNode();
    const keys = createBlindKeys(seal);
    const { X, n, p } = makeBlobs(150, 3, 2, { seed: 4, spread: 4 });
    const tensors = encryptBlindFeatures(seal, keys.publicKey, X, n, p);

    const kh = blindKeyHolder(seal, keys.secretKey, keys.publicKey);
    const options: BlindOptions = { k: 2, seed: 9, draws: 1, maxIter: 3 };
    const session = new BlindKeyHolderSession(kh.keyHolder, kh.io, kh.slots, options);
    const wire = sessionWire(session);

    const cspSide = blindCspTools(seal, keys.relinKeys);
    // the CSP's tools: context, encoder, evaluator, relinearisation keys; nothing that decrypts
    expect(Object.keys(cspSide.tools).sort()).toEqual(["N", "context", "encoder", "evaluator", "relinKeys", "seal"]);
    const blocks = tensors.map((row) => row.map((b) => cspSide.io.load(b)));
    const csp = new BlindCsp(cspSide.tools, blocks, n, 2, 3, wire);
    const seeds: number[][] = [];
    const { labels } = await driveBlindRun(csp, wire, (order: BlindOrder) => {
      if (order.kind === "seeds") seeds.push(order.seeds);
    });
    // the CSP learns which records seed the run (indices, never values): enough to check it against the reference
    const reference = blindCluster(X, n, p, { ...options, seedIndices: seeds });
    expect(adjustedRandIndex(reference.labels, labels)).toBeGreaterThanOrEqual(0.98);
    expect(session.result?.iterations).toBe(reference.iterations);
    csp.dispose();
    for (const ct of blocks.flat()) ct.delete();
    cspSide.dispose();
    kh.dispose();
  }, 300_000);

  it("refuses what the protocol does not allow: other sizes, sums out of turn or over part of a block, labels before the last step", async () => {
    const seal = await loadSealNode();
    const keys = createBlindKeys(seal);
    const kh = blindKeyHolder(seal, keys.secretKey, keys.publicKey);
    const session = new BlindKeyHolderSession(kh.keyHolder, kh.io, kh.slots, { k: 2, seed: 1, draws: 1 });
    const refused = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error instanceof BlindProtocolError ? error.message : `not refused as a protocol error: ${error}`;
      }
      return "accepted";
    };
    expect(refused(() => session.answer({ out: [], maskSums: [], records: [] }))).toMatch(/no sums are due/);
    expect(refused(() => session.begin({ n: 5000, p: 3, k: 2, counts: [5000] }))).toMatch(/blocks of 10 to 4096 records/);
    // a block of a few records: its sums would be those records' values
    expect(refused(() => session.begin({ n: 5000, p: 3, k: 2, counts: [2500, 2491, 9] }))).toMatch(/blocks of 10 to 4096 records/);
    expect(refused(() => session.begin({ n: 5000, p: 3, k: 2, counts: [2500, 2499] }))).toMatch(/blocks of 10 to 4096 records/);
    expect(refused(() => session.begin({ n: 100, p: 3, k: 3, counts: [100] }))).toMatch(/do not fit/);
    const first = session.begin({ n: 100, p: 3, k: 2, counts: [100] });
    expect(first.kind).toBe("seeds");
    expect(refused(() => session.begin({ n: 100, p: 3, k: 2, counts: [100] }))).toMatch(/begun already/);
    // a sum over one slot would be one record's value
    expect(refused(() => session.answer({ out: [new Uint8Array(8), new Uint8Array(8)], maskSums: [0, 0], records: [1, 1] }))).toMatch(/whole block/);
    expect(refused(() => session.answer({ out: [new Uint8Array(8)], maskSums: [0, 0, 0], records: [100, 100, 100] }))).toMatch(/in order/);
    // bytes that are not a ciphertext of these parameters
    expect(refused(() => session.answer({ out: [new Uint8Array(8), new Uint8Array(8)], maskSums: [0, 0], records: [100, 100] }))).toMatch(/not a ciphertext/);
    expect(refused(() => session.labels([new Uint8Array(8)], 2, 100))).toMatch(/once per block/);
    expect(refused(() => session.refresh([new Uint8Array(8)], 7))).toMatch(/blocks' own/);
    expect(refused(() => session.finish())).toMatch(/not done/);
    kh.dispose();
  }, 120_000);

  it("the CSP's driver refuses orders that do not fit the run (a key holder that deviates)", async () => {
    const seal = await loadSealNode();
    const keys = createBlindKeys(seal);
    const { X, n, p } = makeBlobs(40, 2, 2, { seed: 1 });
    const cspSide = blindCspTools(seal, keys.relinKeys);
    const blocks = encryptBlindFeatures(seal, keys.publicKey, X, n, p).map((row) => row.map((b) => cspSide.io.load(b)));
    const never: KeyHolderWire = {
      refresh: async () => [],
      broadcastSums: async () => [],
      labels: async () => new Int32Array(0),
    };
    const csp = new BlindCsp(cspSide.tools, blocks, n, 2, 3, never);
    const lying = (order: BlindOrder) => ({ ...never, begin: async () => order, answer: async () => order, finish: async () => order });
    await expect(driveBlindRun(csp, lying({ kind: "seeds", seeds: [3, 3] }))).rejects.toThrow(/k distinct records/);
    await expect(driveBlindRun(csp, lying({ kind: "seeds", seeds: [0, 99] }))).rejects.toThrow(/k distinct records/);
    await expect(driveBlindRun(csp, lying({ kind: "centers", centers: [] }))).rejects.toThrow(/k x p/);
    await expect(driveBlindRun(csp, lying({ kind: "done", iterations: 1 }))).rejects.toThrow(/before its labels/);
    csp.dispose();
    for (const ct of blocks.flat()) ct.delete();
    cspSide.dispose();
  }, 120_000);
});
