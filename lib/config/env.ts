import { z } from "zod";

/**
 * The server's environment, validated once. `npm start` fills every variable (generating
 * secrets into the data folder on first run), so a missing one here is a deployment error.
 */
const envSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgresql:// URL"),
  NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters"),
  NEXTAUTH_URL: z.url().optional(),
  MEDSHARE_KEK: z.string().refine((v) => Buffer.from(v, "base64").length === 32, "MEDSHARE_KEK must be 32 bytes, base64"),
});
export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

export function env(): Env {
  if (cached) return cached;
  const parsed = envSchema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`MedShare is not configured: ${problems}. Start it with \`npm start\`.`);
  }
  cached = parsed.data;
  return cached;
}

/**
 * The key-encryption key alone: what a process that unseals but serves no sessions needs (the
 * clustering worker, holding the key holder's CKKS key), without the authority's session secret.
 */
export function kek(): Buffer {
  const value = process.env.MEDSHARE_KEK ?? "";
  const key = Buffer.from(value, "base64");
  if (key.length !== 32) throw new Error("MedShare is not configured: MEDSHARE_KEK must be 32 bytes, base64. Start it with `npm start`.");
  return key;
}

const GiB = 1024 ** 3;
const text = z.string().optional();
/** A positive number of the given kind, else the default (an unset or unusable value never stops the server). */
const positive = (ok: (n: number) => boolean, fallback: number) => text.transform((v) => (ok(Number(v)) && Number(v) > 0 ? Number(v) : fallback));

/**
 * What an operator may set for a running party, besides the secrets `env()` requires, typed and
 * defaulted. A key's format is checked by the code that uses it: a malformed key fails the call
 * that needs it, not every request.
 */
const settingsSchema = z.object({
  /** This process's database (npm start sets it per party). */
  DATABASE_URL: text,
  /** The address people open; else the run file's, else http://localhost:PORT. */
  NEXTAUTH_URL: text,
  /** The session cookies' secret (the authority's; env() checks its length where sessions are made). */
  NEXTAUTH_SECRET: text,
  PORT: z.string().default("3000"),
  /** The local folder for the embedded database, generated secrets and demo files. */
  MEDSHARE_DATA_DIR: z.string().default(".data"),
  /** "authority" (the default: a plain `next dev`) or "csp" (lib/parties/role.ts checks it). */
  MEDSHARE_ROLE: z.string().default("authority"),
  /** Where each party reaches the other. */
  MEDSHARE_CSP_URL: text,
  MEDSHARE_AUTHORITY_URL: text,
  /** The attribute authorities' services the registration authority knows: "HA1=http://127.0.0.1:4101,NRI=https://aa.nri.example". */
  MEDSHARE_AA_URLS: text,
  /** Each AA's log public key (hex), "HA1=<hex>,NRI=<hex>": the portal witnesses their logs under these; unset, it pins the key it first sees. */
  MEDSHARE_AA_LOG_PUBLIC_KEYS: text,
  /** The authority signs its calls to the CSP with this Ed25519 key (hex); the CSP accepts only its public key. */
  MEDSHARE_PARTY_SIGNING_KEY: text,
  MEDSHARE_AUTHORITY_PUBLIC_KEY: text,
  /** Each party's log is signed with its own key (hex); the other's heads are checked against its public key. */
  MEDSHARE_LEDGER_SIGNING_KEY: text,
  MEDSHARE_CSP_LOG_SIGNING_KEY: text,
  MEDSHARE_AUTHORITY_LOG_PUBLIC_KEY: text,
  MEDSHARE_CSP_LOG_PUBLIC_KEY: text,
  /** Where the ledger's signed checkpoints are kept; else the data folder's `ledger/`. */
  MEDSHARE_LEDGER_DIR: text,
  /** Seconds between witness runs of the other party's log; 0 (or anything not a positive number) turns it off. */
  MEDSHARE_WITNESS_INTERVAL_S: text.transform((v) => {
    const n = Number(v ?? 300);
    return Number.isFinite(n) && n > 0 ? n : null;
  }),
  /** "off": the clustering worker runs as its own process, not inside the Next server. */
  MEDSHARE_WORKER: text,
  /** Bytes an organisation may keep at the CSP (default 2 GiB); hours an unfinished upload waits (default 24). */
  MEDSHARE_ORG_QUOTA_BYTES: positive(Number.isSafeInteger, 2 * GiB),
  MEDSHARE_UPLOAD_TTL_HOURS: positive(Number.isFinite, 24),
  /** Any value: the embedded PostgreSQL's log goes to the data folder. */
  MEDSHARE_PG_LOG: text,
});
export type Settings = z.output<typeof settingsSchema>;

/**
 * The running party's settings, read from the environment when asked: `npm start` fills it after
 * modules load, and tests change it between calls. Parsing it is cheap next to any call that needs it.
 */
export function settings(): Settings {
  return settingsSchema.parse(process.env);
}
