import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

const secretsSchema = z.object({
  nextauthSecret: z.string().min(32),
  /** Key-encryption key (base64, 32 bytes) that seals the authority's master secrets at rest. */
  kek: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
  /** Password of the embedded PostgreSQL's superuser. */
  pgPassword: z.string().min(16),
});
export type LocalSecrets = z.infer<typeof secretsSchema>;

/**
 * Reads the secrets generated on first run, creating them if absent. The file is readable by
 * its owner only; environment variables (NEXTAUTH_SECRET, MEDSHARE_KEK) take precedence at use.
 */
export function ensureLocalSecrets(dir: string): LocalSecrets {
  const file = path.join(dir, "secrets.json");
  mkdirSync(dir, { recursive: true });
  // Traversable but not listable: the embedded PostgreSQL runs as its own OS user when we are root.
  chmodSync(dir, 0o711);
  if (existsSync(file)) return secretsSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  const secrets: LocalSecrets = {
    nextauthSecret: randomBytes(32).toString("base64url"),
    kek: randomBytes(32).toString("base64"),
    pgPassword: randomBytes(18).toString("base64url"),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: "wx" });
  return secrets;
}
