import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { AbeError, encryptBatch, merkleProofs, recordLeaf, setupGlobal, type MerkleProof } from "@/lib/abe";
import { makeAuthorities, seededRng } from "@/lib/abe/testing";
import { checkServedRecords, releaseDigest, releasedIds, type ServedRecord } from "./release";

const pp = setupGlobal();
const { vks } = makeAuthorities(["HA1.researcher"]);
const data = Array.from({ length: 13 }, (_, i) => ({ id: `rec-${i}`, data: new TextEncoder().encode(`{"v":${i}}`) }));
const { envelope, records } = encryptBatch(pp, vks, "HA1.researcher", data, { rng: seededRng("release") });
const cluster = [1, 4, 5, 9, 12];

/** What the CSP serves for a cluster request: the cluster's records, each with its proof. */
function served(indices = cluster): ServedRecord[] {
  const proofs = merkleProofs(records.map(recordLeaf), indices);
  return indices.map((i, n) => ({ ...records[i], proof: proofs[n] }));
}
const codeOf = (f: () => unknown) => {
  try {
    f();
    return "none";
  } catch (e) {
    return e instanceof AbeError ? e.code : String(e);
  }
};

describe("minimal release: what the browser accepts from the cloud", () => {
  it("accepts exactly the requested records with valid proofs, and a whole upload against its root", () => {
    expect(checkServedRecords(envelope, served(), cluster).map((r) => r.index)).toEqual(cluster);
    expect(
      checkServedRecords(
        envelope,
        records.map((r) => ({ ...r, proof: null })),
        null,
      ),
    ).toHaveLength(13);
  });

  it("refuses a tampered proof, a tampered record, a missing proof, a proof for another position", () => {
    const tamperedPath = served();
    const p = tamperedPath[2].proof!;
    const path = p.path.map((x) => x.slice());
    path[0][7] ^= 1;
    tamperedPath[2] = { ...tamperedPath[2], proof: { ...p, path } };
    expect(codeOf(() => checkServedRecords(envelope, tamperedPath, cluster))).toBe("INTEGRITY");

    const tamperedCt = served();
    const ct = tamperedCt[0].ct.slice();
    ct[3] ^= 0x80;
    tamperedCt[0] = { ...tamperedCt[0], ct };
    expect(codeOf(() => checkServedRecords(envelope, tamperedCt, cluster))).toBe("INTEGRITY");

    const noProof = served().map((r, i) => (i === 1 ? { ...r, proof: null } : r));
    expect(codeOf(() => checkServedRecords(envelope, noProof, cluster))).toBe("INTEGRITY");

    // record 4 served with record 5's proof (index moved), and with a proof claiming another tree size
    const swapped = served();
    swapped[1] = { ...swapped[1], proof: swapped[2].proof };
    expect(codeOf(() => checkServedRecords(envelope, swapped, cluster))).toBe("INTEGRITY");
    const resized = served().map((r) => ({ ...r, proof: { ...(r.proof as MerkleProof), count: 14 } }));
    expect(codeOf(() => checkServedRecords(envelope, resized, cluster))).toBe("INTEGRITY");
  });

  it("refuses more, fewer or other records than requested, even with valid proofs", () => {
    expect(codeOf(() => checkServedRecords(envelope, served([...cluster, 0]), cluster))).toBe("INTEGRITY");
    expect(codeOf(() => checkServedRecords(envelope, served(cluster.slice(1)), cluster))).toBe("INTEGRITY");
    expect(codeOf(() => checkServedRecords(envelope, served([1, 4, 5, 9, 11]), cluster))).toBe("INTEGRITY");
    expect(codeOf(() => checkServedRecords(envelope, [...served(), served([12])[0]], cluster))).toBe("INTEGRITY");
    // a whole upload with a record missing does not match the root
    expect(
      codeOf(() =>
        checkServedRecords(
          envelope,
          records.slice(1).map((r) => ({ ...r, proof: null })),
          null,
        ),
      ),
    ).toBe("INTEGRITY");
  });

  it("the release digest is the SHA-256 of the sorted record names, whatever their order", () => {
    const ids = releasedIds("u-1", [12, 1, 4], 13);
    expect(ids).toEqual(["u-1:12", "u-1:1", "u-1:4"]);
    const expected = bytesToHex(sha256(new TextEncoder().encode("u-1:1\nu-1:12\nu-1:4")));
    expect(releaseDigest(ids)).toEqual({ count: 3, digest: expected });
    expect(releaseDigest([...ids].reverse())).toEqual({ count: 3, digest: expected });
    expect(releasedIds("u-2", null, 3)).toEqual(["u-2:0", "u-2:1", "u-2:2"]);
    expect(releaseDigest(["u-1:1"]).digest).not.toBe(expected);
  });
});
