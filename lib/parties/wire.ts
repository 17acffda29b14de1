/**
 * The JSON the parties exchange: plain JSON plus tagged bytes (`{"$b64": …}`), dates
 * (`{"$date": …}`) and big integers (`{"$big": …}`), so a function's arguments and result cross
 * a process boundary as they are.
 */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) return { $b64: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64") };
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (typeof raw === "bigint") return { $big: raw.toString() };
    return v;
  });
}

export function fromWireJson<T = unknown>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1) {
        const o = v as Record<string, unknown>;
        if (typeof o.$b64 === "string") return new Uint8Array(Buffer.from(o.$b64, "base64"));
        if (typeof o.$date === "string") return new Date(o.$date);
        if (typeof o.$big === "string" && /^-?\d+$/.test(o.$big)) return BigInt(o.$big);
      }
    }
    return v;
  }) as T;
}

/** A call body with bytes in it: the bytes travel as they are, not as base64 inside JSON. */
export const WIRE_BINARY_TYPE = "application/vnd.medshare.wire";
const MAGIC = [0x4d, 0x53, 0x57, 0x31]; // "MSW1"

/**
 * The body of a call between parties. Without bytes: wire JSON. With bytes: "MSW1", the JSON's
 * length (4 bytes, big-endian), the JSON with each byte string as `{"$bin":[offset,length]}`,
 * then the byte strings one after the other. A 512 KiB chunk is then sent as 512 KiB, not
 * 683 KiB of base64 that the receiver parses back.
 */
export function toWireBody(value: unknown): { body: Uint8Array<ArrayBuffer> | string; contentType: string } {
  const parts: Uint8Array[] = [];
  let offset = 0;
  const json = JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) {
      parts.push(raw);
      offset += raw.length;
      return { $bin: [offset - raw.length, raw.length] };
    }
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (typeof raw === "bigint") return { $big: raw.toString() };
    return v;
  });
  if (parts.length === 0) return { body: json, contentType: "application/json" };
  const head = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + head.length + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, head.length);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { body: out, contentType: WIRE_BINARY_TYPE };
}

/** Reads a call body written by `toWireBody`; throws on anything malformed (the caller answers 400). */
export function fromWireBody<T = unknown>(bytes: Uint8Array, contentType: string | null): T {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type !== WIRE_BINARY_TYPE) return fromWireJson<T>(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  if (bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) throw new SyntaxError("not a wire body");
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
  if (8 + jsonLength > bytes.length) throw new SyntaxError("wire body cut short");
  const payload = bytes.subarray(8 + jsonLength);
  const json = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + jsonLength));
  const value = fromWireJson(json);
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (!v || typeof v !== "object" || v instanceof Uint8Array || v instanceof Date) return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && Array.isArray(o.$bin)) {
      const [start, length] = o.$bin as unknown[];
      if (
        !Number.isSafeInteger(start) ||
        !Number.isSafeInteger(length) ||
        (start as number) < 0 ||
        (length as number) < 0 ||
        (start as number) + (length as number) > payload.length
      )
        throw new SyntaxError("a byte string outside the wire body");
      return payload.slice(start as number, (start as number) + (length as number));
    }
    for (const k of keys) o[k] = revive(o[k]);
    return o;
  };
  return revive(value) as T;
}
