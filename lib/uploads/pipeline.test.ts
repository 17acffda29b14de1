import { describe, expect, it } from "vitest";
import {
  decrypt,
  encryptBatch,
  keygen,
  leafHash,
  merkleRoot,
  openRecord,
  recordLeaf,
  sealBatchEnvelope,
  sealBatchRecords,
  sealBatchRecordsNative,
  setupAttribute,
  setupGlobal,
} from "@/lib/abe";
import { frameRecords, packFramed, packRecords, unpackChunk } from "./protocol";
import { inParallel } from "./client";

const pp = setupGlobal();
const enc = new TextEncoder();

describe("the upload pipeline's parallel pieces", () => {
  const auth = setupAttribute("HA1.researcher");
  const vks = new Map([["HA1.researcher", auth.vk]]);
  const records = Array.from({ length: 23 }, (_, i) => ({ id: `r${i}`, data: enc.encode(JSON.stringify({ i, pad: "x".repeat(i * 7) })) }));
  const zeta = new Uint8Array(32).fill(7);

  it("slices sealed apart, framed and packed give exactly encryptBatch's records, root, envelope and chunks", () => {
    const whole = encryptBatch(pp, vks, "HA1.researcher", records, { zeta });
    const cuts = [0, 5, 6, 17, 23];
    const slices = cuts.slice(0, -1).map((first, k) => sealBatchRecords(zeta, records.slice(first, cuts[k + 1]), first));
    const sealed = slices.flat();
    expect(sealed).toEqual(whole.records);
    const framed = slices.map(frameRecords);
    // the leaf over a framed record's encoding (what the seal worker hashes) is recordLeaf
    const leaves: Uint8Array[] = [];
    for (const { bytes, lengths } of framed) {
      let o = 0;
      for (const len of lengths) {
        leaves.push(leafHash(bytes.subarray(o + 4, o + len)));
        o += len;
      }
    }
    expect(leaves).toEqual(whole.records.map(recordLeaf));
    const root = merkleRoot(leaves);
    expect(root).toEqual(whole.root);
    expect(sealBatchEnvelope(pp, vks, "HA1.researcher", zeta, root, sealed.length)).toEqual(whole.envelope);
    for (const chunkBytes of [300, 1000, 4096, 1 << 20]) expect(packFramed(framed, chunkBytes)).toEqual(packRecords(whole.records, chunkBytes));
    // and a reader opens them
    const reader = keygen(auth.secret, "reader");
    const { batchKey } = decrypt(pp, [auth.vk], whole.envelope, { gid: "reader", keys: new Map([["HA1.researcher", reader]]) });
    const unpacked = packFramed(framed, 1000).flatMap(unpackChunk);
    expect(unpacked.map((r) => openRecord(batchKey, r))).toEqual(records.map((r) => r.data));
  });

  it("slices sealed with the platform's AES-GCM (WebCrypto) are byte for byte the pure-JS ones", async () => {
    const cuts = [0, 5, 6, 17, 23];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const slice = records.slice(cuts[k], cuts[k + 1]);
      expect(await sealBatchRecordsNative(zeta, slice, cuts[k])).toEqual(sealBatchRecords(zeta, slice, cuts[k]));
    }
    const plain = [enc.encode("a"), new Uint8Array(0), enc.encode("x".repeat(5000))];
    expect(await sealBatchRecordsNative(zeta, plain, 7)).toEqual(sealBatchRecords(zeta, plain, 7));
    await expect(sealBatchRecordsNative(zeta.subarray(1), records)).rejects.toThrow(/zeta/);
    await expect(sealBatchRecordsNative(zeta, records, -1)).rejects.toThrow(/firstIndex/);
  });

  it("a slice sealed at the wrong position does not match the batch", () => {
    const whole = encryptBatch(pp, vks, "HA1.researcher", records, { zeta });
    const shifted = [...sealBatchRecords(zeta, records.slice(0, 5), 0), ...sealBatchRecords(zeta, records.slice(5), 6)];
    expect(merkleRoot(shifted.map(recordLeaf))).not.toEqual(whole.root);
    expect(() => sealBatchRecords(zeta.subarray(1), records)).toThrow(/zeta/);
    expect(() => packFramed([{ bytes: new Uint8Array(10), lengths: Uint32Array.of(4) }])).toThrow(/lengths/);
  });

  it("inParallel keeps at most `limit` running, runs every item, and stops starting new ones after a failure", async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await inParallel([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(n);
      running--;
    });
    expect(peak).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const started: number[] = [];
    await expect(
      inParallel([1, 2, 3, 4, 5, 6], 2, async (n) => {
        started.push(n);
        if (n === 2) throw new Error("chunk 2 refused");
        await new Promise((r) => setTimeout(r, 20));
      }),
    ).rejects.toThrow("chunk 2 refused");
    expect(started).toEqual([1, 2]);
  });
});
