import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { AbeError } from "./errors";
import { FORMAT_VERSION, MAGIC, ObjectType, Reader, Writer, decodeObject, encodeObject } from "./codec";
import { decodeFr, decodeG1, decodeG2, decodeGT, encodeFr, encodeG1, encodeG2, encodeGT, egg, g1Mul, g2Mul } from "./group";
import { makeTransformKey, setupGlobal } from "./keys";
import { encrypt } from "./envelope";
import { encryptBatch, recordProof } from "./batch";
import { partialDecrypt } from "./outsource";
import * as S from "./serialize";
import { decodeWrapPublicKey, encodeWrapPublicKey, generateWrapKeyPair, unwrapKey, wrapKey } from "./wrap";
import { makeAuthorities, makeUserKeys, seededRng } from "./testing";

const pp = setupGlobal();

type Codec = { name: string; sample: Uint8Array; decode: (b: Uint8Array) => unknown; encode: (x: never) => Uint8Array };
const codecs: Codec[] = [];

beforeAll(() => {
  const { auth, vks } = makeAuthorities(["HA1.cardiology", "HA2.oncology"], "serialize-test");
  const a = auth.get("HA1.cardiology")!;
  const user = makeUserKeys(auth, "gid-s", ["HA1.cardiology", "HA2.oncology"]);
  const { tk, secret } = makeTransformKey(user, seededRng("tk"));
  const env = encrypt(pp, vks, "HA1.cardiology OR HA2.oncology", new TextEncoder().encode("fuzz"), { rng: seededRng("env") });
  const batch = encryptBatch(pp, vks, "HA2.oncology", [new Uint8Array([1, 2, 3]), new Uint8Array(0)], { rng: seededRng("b") });
  const pd = partialDecrypt(pp, env, tk);
  const wrapKp = generateWrapKeyPair(seededRng("wrap"));
  const add = <T>(name: string, value: T, encode: (x: T) => Uint8Array, decode: (b: Uint8Array) => T) =>
    codecs.push({ name, sample: encode(value), decode, encode: encode as (x: never) => Uint8Array });
  add("PublicParams", pp, S.encodePublicParams, S.decodePublicParams);
  add("AttributeVk", a.vk, S.encodeAttributeVk, S.decodeAttributeVk);
  add("VkSet", vks, S.encodeVkSet, S.decodeVkSet);
  add("AttributeSecret", a.secret, S.encodeAttributeSecret, S.decodeAttributeSecret);
  add("UserKeys", user, S.encodeUserKeys, S.decodeUserKeys);
  add("TransformKey", tk, S.encodeTransformKey, S.decodeTransformKey);
  add("TransformSecret", secret, S.encodeTransformSecret, S.decodeTransformSecret);
  add("Envelope", env, S.encodeEnvelope, S.decodeEnvelope);
  add("BatchEnvelope", batch.envelope, S.encodeEnvelope, S.decodeEnvelope);
  add("RecordCiphertext", batch.records[0], S.encodeRecordCiphertext, S.decodeRecordCiphertext);
  add("MerkleProof", recordProof(batch.records, 1), S.encodeMerkleProof, S.decodeMerkleProof);
  add("PartialDecryption", pd, S.encodePartialDecryption, S.decodePartialDecryption);
  add("WrapPublicKey", wrapKp.publicKey, encodeWrapPublicKey, decodeWrapPublicKey);
});

/** Decoding either succeeds or throws an AbeError; anything else fails the property. */
function onlyAbeErrors(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): boolean {
  try {
    decode(bytes);
    return true;
  } catch (e) {
    if (e instanceof AbeError) return true;
    throw new Error(`foreign exception: ${String(e)}`);
  }
}

describe("framing", () => {
  it("writes magic, version and type, and reads fields back exactly", () => {
    const b = encodeObject(0x42, (w) =>
      w
        .u8(7)
        .u32(0xdeadbeef)
        .bytes(new Uint8Array([1, 2]))
        .string("é")
        .list([1, 2, 3], (ww, n) => ww.u8(n)),
    );
    expect([...b.subarray(0, 4)]).toEqual([...MAGIC, FORMAT_VERSION, 0x42]);
    const out = decodeObject(b, 0x42, (r: Reader) => [r.u8(), r.u32(), [...r.bytes("b")], r.string("s"), r.list("l", 1, (rr) => rr.u8())]);
    expect(out).toEqual([7, 0xdeadbeef, [1, 2], "é", [1, 2, 3]]);
  });

  it("reports version, type, truncation and trailing bytes with their codes", () => {
    const b = encodeObject(0x42, (w: Writer) => w.string("x"));
    const code = (f: () => unknown) => {
      try {
        f();
        return "OK";
      } catch (e) {
        return (e as AbeError).code;
      }
    };
    expect(code(() => decodeObject(b, 0x43, (r) => r.string("x")))).toBe("DECODE_TYPE");
    const v = b.slice();
    v[2] = 9;
    expect(code(() => decodeObject(v, 0x42, (r) => r.string("x")))).toBe("DECODE_VERSION");
    expect(code(() => decodeObject(b.subarray(0, b.length - 1), 0x42, (r) => r.string("x")))).toBe("DECODE_LENGTH");
    const trailing = new Uint8Array([...b, 0]);
    expect(code(() => decodeObject(trailing, 0x42, (r) => r.string("x")))).toBe("DECODE_LENGTH");
    const huge = encodeObject(0x42, (w) => w.u32(0xffffffff));
    expect(code(() => decodeObject(huge, 0x42, (r) => r.list("l", 1, (rr) => rr.u8())))).toBe("DECODE_LENGTH");
    const badUtf8 = encodeObject(0x42, (w) => w.bytes(new Uint8Array([0xff, 0xfe])));
    expect(code(() => decodeObject(badUtf8, 0x42, (r) => r.string("x")))).toBe("DECODE_FORMAT");
  });
});

describe("round trips", () => {
  it("every object type decodes to something that re-encodes to the same bytes", () => {
    for (const c of codecs) {
      const decoded = c.decode(c.sample);
      expect(c.encode(decoded as never), c.name).toEqual(c.sample);
    }
  });

  it("group elements and scalars round-trip", () => {
    const rng = seededRng("rt");
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 254n) - 1n }), (k) => {
        expect(decodeFr(encodeFr(k))).toBe(k);
        return true;
      }),
      { numRuns: 200 },
    );
    const k = BigInt("0x" + Buffer.from(rng(31)).toString("hex"));
    expect(decodeG1(encodeG1(g1Mul(k))).equals(g1Mul(k))).toBe(true);
    expect(decodeG2(encodeG2(g2Mul(k))).equals(g2Mul(k))).toBe(true);
    expect(encodeGT(decodeGT(encodeGT(egg())))).toEqual(encodeGT(egg()));
  });

  it("key unwrapping: right key opens, wrong key / context / bytes give UNWRAP", () => {
    const rng = seededRng("unwrap");
    const alice = generateWrapKeyPair(rng);
    const mallory = generateWrapKeyPair(rng);
    const secret = new Uint8Array([9, 8, 7, 6]);
    const w = wrapKey(alice.publicKey, secret, "sik:gid-a:HA1.cardiology", rng);
    expect(unwrapKey(alice.secretKey, w, "sik:gid-a:HA1.cardiology")).toEqual(secret);
    const code = (f: () => unknown) => {
      try {
        f();
        return "OK";
      } catch (e) {
        return (e as AbeError).code;
      }
    };
    expect(code(() => unwrapKey(mallory.secretKey, w, "sik:gid-a:HA1.cardiology"))).toBe("UNWRAP");
    expect(code(() => unwrapKey(alice.secretKey, w, "sik:gid-a:HA2.oncology"))).toBe("UNWRAP");
    for (let i = 4; i < w.length; i += 7) {
      const bad = w.slice();
      bad[i] ^= 0x10;
      expect(["UNWRAP", "DECODE_LENGTH"]).toContain(code(() => unwrapKey(alice.secretKey, bad, "sik:gid-a:HA1.cardiology")));
    }
    expect(code(() => unwrapKey(alice.secretKey.subarray(1), w, "x"))).toBe("UNWRAP");
    expect(code(() => unwrapKey(alice.secretKey, w.subarray(0, 10), "x"))).toBe("DECODE_LENGTH");
    // Low-order recipient keys are refused at wrap time.
    expect(code(() => wrapKey(new Uint8Array(32), secret, "x", rng))).toBe("INVALID_ARGUMENT");
  });
});

describe("decoder fuzzing: only AbeError, never hangs", () => {
  const types = Object.values(ObjectType);

  it("random bytes (thousands) into every decoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (bytes, pick) => {
        const c = codecs[pick % codecs.length];
        return onlyAbeErrors(c.decode, bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it("valid header + random body (thousands)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(), (body, pick) => {
        const c = codecs[pick % codecs.length];
        const header = c.sample.subarray(0, 4);
        return onlyAbeErrors(c.decode, new Uint8Array([...header, ...body]));
      }),
      { numRuns: 3000 },
    );
    expect(types.length).toBeGreaterThan(5);
  });

  it("mutated valid encodings: flips, truncations, splices (about a thousand)", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.oneof(fc.constant("flip"), fc.constant("truncate"), fc.constant("extend"), fc.constant("lengthfield")),
        (pick, flips, mode) => {
          const c = codecs[pick % codecs.length];
          let b = c.sample.slice();
          if (mode === "flip") for (const [pos, x] of flips) b[pos % b.length] ^= x;
          if (mode === "truncate") b = b.subarray(0, flips[0][0] % b.length);
          if (mode === "extend") b = new Uint8Array([...b, ...flips.map(([, x]) => x)]);
          // Corrupt a likely length prefix (first field after the header).
          if (mode === "lengthfield") b[4 + (flips[0][0] % 4)] = flips[0][1];
          return onlyAbeErrors(c.decode, b);
        },
      ),
      { numRuns: 1200 },
    );
  });

  it("a flip inside every group element of an envelope is caught by the element decoder or later", () => {
    const env = codecs.find((c) => c.name === "Envelope")!;
    for (let i = 0; i < env.sample.length; i += 37) {
      const b = env.sample.slice();
      b[i] ^= 0x04;
      expect(onlyAbeErrors(env.decode, b)).toBe(true);
    }
  });
});
