/**
 * Versioned binary framing shared by every serialised ABE-OD (and ABS) object.
 *
 * Layout of an object:  "M" "S" | version (1 byte) | type (1 byte) | fields...
 * Field kinds:          u8 / u32 (big-endian, fixed size), bytes (u32 length prefix + bytes),
 *                       string (bytes holding strict UTF-8), list (u32 count + items).
 * A decoder must consume the input exactly; every failure is an AbeError with a DECODE_* code,
 * and lengths/counts are checked against the remaining input before anything is allocated, so
 * hostile input can neither throw foreign errors nor make a decoder loop or allocate for long.
 *
 * Exports: FORMAT_VERSION, ObjectType, ObjectTypeName, Writer, Reader, encodeObject,
 *          decodeObject, peekObjectType, concatBytes, u32be, bytesEqual, utf8.
 */
import { AbeError } from "./errors";

export const MAGIC = new Uint8Array([0x4d, 0x53]); // "MS" for MedShare
export const FORMAT_VERSION = 1;

/** Type byte of every serialised object. 0x20-0x2f are reserved for ABS (lib/abe/abs.ts). */
export const ObjectType = {
  PublicParams: 0x01,
  AttributeVk: 0x02,
  AttributeSecret: 0x03,
  UserKeys: 0x04,
  TransformKey: 0x05,
  Envelope: 0x06,
  RecordCiphertext: 0x07,
  PartialDecryption: 0x08,
  WrappedKey: 0x09,
  MerkleProof: 0x0a,
  TransformSecret: 0x0b,
  VkSet: 0x0c,
  WrapPublicKey: 0x0d,
  AbsSignature: 0x20,
  AbsPublicKey: 0x21,
  AbsSecretKey: 0x22,
  AbsReserved: 0x2f,
} as const;
export type ObjectTypeName = keyof typeof ObjectType;

const HEADER_LEN = MAGIC.length + 2;

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new AbeError("INVALID_ARGUMENT", `u32 out of range: ${n}`);
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** Constant-time in the contents (not the lengths) so tag comparisons do not leak a prefix. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });
export const utf8 = {
  encode: (s: string): Uint8Array => textEncoder.encode(s),
  decode: (b: Uint8Array): string => {
    try {
      return textDecoder.decode(b);
    } catch {
      throw new AbeError("DECODE_FORMAT", "invalid UTF-8");
    }
  },
};

/** Append-only builder of one object's fields. */
export class Writer {
  private readonly parts: Uint8Array[] = [];

  u8(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xff) throw new AbeError("INVALID_ARGUMENT", `u8 out of range: ${n}`);
    this.parts.push(new Uint8Array([n]));
    return this;
  }
  u32(n: number): this {
    this.parts.push(u32be(n));
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(u32be(b.length), b);
    return this;
  }
  string(s: string): this {
    return this.bytes(utf8.encode(s));
  }
  /** u32 count followed by each item written by `f`. */
  list<T>(items: readonly T[], f: (w: this, item: T) => void): this {
    this.u32(items.length);
    for (const it of items) f(this, it);
    return this;
  }
  /** Raw bytes without a prefix (only for fixed-size headers). */
  raw(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  finish(): Uint8Array {
    return concatBytes(...this.parts);
  }
}

/** Cursor over one object's fields; every read is bounds-checked. */
export class Reader {
  private off: number;
  constructor(
    private readonly buf: Uint8Array,
    offset = 0,
  ) {
    this.off = offset;
  }
  get remaining(): number {
    return this.buf.length - this.off;
  }
  private take(n: number, what: string): Uint8Array {
    if (n > this.remaining) throw new AbeError("DECODE_LENGTH", `truncated ${what}: need ${n}, have ${this.remaining}`);
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  u8(what = "u8"): number {
    return this.take(1, what)[0];
  }
  u32(what = "u32"): number {
    const b = this.take(4, what);
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  }
  /** Length-prefixed bytes; `exact` demands a fixed length, `max` bounds variable ones. */
  bytes(what: string, opts: { exact?: number; max?: number } = {}): Uint8Array {
    const n = this.u32(`${what} length`);
    if (opts.exact !== undefined && n !== opts.exact) throw new AbeError("DECODE_LENGTH", `${what}: expected ${opts.exact} bytes, got ${n}`);
    if (opts.max !== undefined && n > opts.max) throw new AbeError("DECODE_LENGTH", `${what}: ${n} bytes exceeds ${opts.max}`);
    return this.take(n, what);
  }
  string(what: string, max = 4096): string {
    return utf8.decode(this.bytes(what, { max }));
  }
  /** u32 count then items; `minItemLen` lets the count be checked against the remaining input. */
  list<T>(what: string, minItemLen: number, f: (r: Reader, i: number) => T): T[] {
    const n = this.u32(`${what} count`);
    if (n * Math.max(1, minItemLen) > this.remaining) throw new AbeError("DECODE_LENGTH", `${what}: count ${n} exceeds remaining input`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(f(this, i));
    return out;
  }
  end(): void {
    if (this.remaining !== 0) throw new AbeError("DECODE_LENGTH", `${this.remaining} trailing bytes`);
  }
}

/** Header + fields. */
export function encodeObject(type: number, fill: (w: Writer) => void): Uint8Array {
  const w = new Writer().raw(MAGIC).u8(FORMAT_VERSION).u8(type);
  fill(w);
  return w.finish();
}

function checkHeader(bytes: unknown): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new AbeError("DECODE_FORMAT", "expected Uint8Array");
  if (bytes.length < HEADER_LEN) throw new AbeError("DECODE_LENGTH", "shorter than the object header");
  if (bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) throw new AbeError("DECODE_VERSION", "bad magic");
  if (bytes[2] !== FORMAT_VERSION) throw new AbeError("DECODE_VERSION", `unsupported format version ${bytes[2]}`);
  return bytes;
}

/** Type byte of a serialised object (after checking magic and version). */
export function peekObjectType(bytes: Uint8Array): number {
  return checkHeader(bytes)[3];
}

/**
 * Check the header, run `read` over the fields and demand that it consumed everything. Any
 * non-AbeError escaping `read` is a bug, but is still reported as DECODE_FORMAT so the
 * "decoders only throw AbeError" contract holds.
 */
export function decodeObject<T>(bytes: Uint8Array, type: number, read: (r: Reader) => T): T {
  // Decode a private copy: a Node Buffer's slice() is a view, and decoded objects must never
  // alias (or be able to change) the caller's bytes.
  const b = checkHeader(bytes instanceof Uint8Array ? Uint8Array.prototype.slice.call(bytes) : bytes);
  if (b[3] !== type) throw new AbeError("DECODE_TYPE", `expected object type 0x${type.toString(16)}, got 0x${b[3].toString(16)}`);
  const r = new Reader(b, HEADER_LEN);
  let out: T;
  try {
    out = read(r);
  } catch (e) {
    if (e instanceof AbeError) throw e;
    throw new AbeError("DECODE_FORMAT", e instanceof Error ? e.message : String(e));
  }
  r.end();
  return out;
}
