import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";

/** scrypt parameters, stored with every hash so they can be raised later without a migration. */
const DEFAULT = { N: 32768, r: 8, p: 1, keyLen: 32 };

function scryptAsync(password: string, salt: Buffer, p: typeof DEFAULT): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, p.keyLen, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Format: `scrypt$N=32768,r=8,p=1$<salt b64url>$<hash b64url>`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, DEFAULT);
  return `scrypt$N=${DEFAULT.N},r=${DEFAULT.r},p=${DEFAULT.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 4 || parts[0] !== "scrypt") return false;
  const params = Object.fromEntries(
    parts[1]
      .split(",")
      .map((kv) => kv.split("="))
      .map(([k, v]) => [k, Number(v)]),
  );
  const expected = Buffer.from(parts[3], "base64url");
  const p = { N: params.N, r: params.r, p: params.p, keyLen: expected.length };
  if (![p.N, p.r, p.p].every((n) => Number.isSafeInteger(n) && n > 0)) return false;
  const key = await scryptAsync(password, Buffer.from(parts[2], "base64url"), p);
  return timingSafeEqual(key, expected);
}

/** A hash of a random password: compared against when the e-mail is unknown, so timing is alike. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString("hex"));
  return dummy;
}
