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
