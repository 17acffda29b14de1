import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { writeFileAtomic } from "./write-atomic";
import { z } from "zod";

const secretsSchema = z.object({
  nextauthSecret: z.string().min(32),
  /** Key-encryption key (base64, 32 bytes) that seals the authority's master secrets at rest. */
  kek: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
  /** Password of the embedded PostgreSQL's superuser. */
  pgPassword: z.string().min(16),
  /** Passwords of the least-privilege roles (lib/db/roles.ts): migrations, and each party's. */
  ownerPassword: z.string().min(16),
  /** The single app role of releases before the parties were split (kept, unused). */
  appPassword: z.string().min(16).optional(),
  authorityDbPassword: z.string().min(16),
  cspDbPassword: z.string().min(16),
  clusteringDbPassword: z.string().min(16),
  /** Ed25519 secret key (hex) with which the authority signs its tokens to the other parties (lib/parties/token.ts). */
  partySigningKey: z.string().regex(/^[0-9a-f]{64}$/),
  /** Ed25519 secret key (hex) that signs the audit ledger's checkpoints (lib/ledger/checkpoint.ts). */
  ledgerSigningKey: z.string().regex(/^[0-9a-f]{64}$/),
  /** Ed25519 secret key (hex) that signs the CSP's log's tree heads (lib/ledger/log-keys.ts); the CSP's only. */
  cspLogSigningKey: z.string().regex(/^[0-9a-f]{64}$/),
  /**
   * Each attribute authority service run on this machine (lib/aa): its own key-encryption key
   * (base64, 32 bytes), its database role's password and its log-signing key (Ed25519, hex; added
   * on the first run after logs came). Given to that AA's process only.
   */
  aaServices: z
    .record(
      z.string(),
      z.object({
        kek: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
        dbPassword: z.string().min(16),
        logSigningKey: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional(),
      }),
    )
    .default({}),
});
export type LocalSecrets = z.infer<typeof secretsSchema>;

/** Secrets added after the first release: generated into an existing file on its next read. */
const laterSecrets = () => ({
  ownerPassword: randomBytes(18).toString("base64url"),
  authorityDbPassword: randomBytes(18).toString("base64url"),
  cspDbPassword: randomBytes(18).toString("base64url"),
  clusteringDbPassword: randomBytes(18).toString("base64url"),
  partySigningKey: randomBytes(32).toString("hex"),
  ledgerSigningKey: randomBytes(32).toString("hex"),
  cspLogSigningKey: randomBytes(32).toString("hex"),
});

/**
 * Reads the secrets generated on first run, creating them if absent. The file is readable by
 * its owner only; environment variables (NEXTAUTH_SECRET, MEDSHARE_KEK) take precedence at use.
 */
export function ensureLocalSecrets(dir: string): LocalSecrets {
  const file = path.join(dir, "secrets.json");
  mkdirSync(dir, { recursive: true });
  // Traversable but not listable: the embedded PostgreSQL runs as its own OS user when we are root.
  chmodSync(dir, 0o711);
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const missing = Object.entries(laterSecrets()).filter(([k]) => stored[k] === undefined);
    if (missing.length === 0) return secretsSchema.parse(stored);
    const upgraded = secretsSchema.parse({ ...stored, ...Object.fromEntries(missing) });
    // Write-then-rename: a crash mid-write must not lose the KEK that seals the master secrets.
    writeFileAtomic(file, JSON.stringify(upgraded, null, 2));
    return upgraded;
  }
  const secrets: LocalSecrets = {
    nextauthSecret: randomBytes(32).toString("base64url"),
    kek: randomBytes(32).toString("base64"),
    pgPassword: randomBytes(18).toString("base64url"),
    ...laterSecrets(),
    aaServices: {},
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: "wx" });
  return secrets;
}

export type AaSecrets = { kek: string; dbPassword: string; logSigningKey: string };

/** The secrets of the attribute authority `name` on this machine, generated into secrets.json on first use. */
export function ensureAaSecrets(dir: string, name: string): AaSecrets {
  const file = path.join(dir, "secrets.json");
  const secrets = ensureLocalSecrets(dir);
  const known = secrets.aaServices[name];
  if (known?.logSigningKey) return { ...known, logSigningKey: known.logSigningKey };
  // A new AA, or one from before the AA logs: its KEK and password are kept, a log key is added.
  const made = {
    kek: known?.kek ?? randomBytes(32).toString("base64"),
    dbPassword: known?.dbPassword ?? randomBytes(18).toString("base64url"),
    logSigningKey: randomBytes(32).toString("hex"),
  };
  const stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const upgraded = { ...stored, aaServices: { ...((stored.aaServices as object | undefined) ?? {}), [name]: made } };
  writeFileAtomic(file, JSON.stringify(upgraded, null, 2));
  return made;
}
