import { AA_SERVICE_NAME } from "./wire";
import { migrateAaDatabase } from "./schema";

/**
 * Which attribute authorities a launcher runs and how each is configured (docs/DEPLOY.md): with no
 * configuration, two — HA1 for the consortium and NRI for the research institute — each with its
 * own database and key-encryption key on the embedded PostgreSQL.
 */
export const DEFAULT_AAS = ["HA1", "NRI"] as const;

/** A configured AA service: its database (service role), its key-encryption key (base64), its log-signing key (hex). */
export type AaDeployment = { name: string; databaseUrl: string; kek: string; logSigningKey: string };

/** MEDSHARE_AAS (comma-separated, default HA1,NRI); none when MEDSHARE_SERVICES is set without `aa`. */
export function aasHere(env: NodeJS.ProcessEnv = process.env): string[] {
  const services = env.MEDSHARE_SERVICES?.split(",").map((s) => s.trim());
  if (services && !services.some((s) => s === "aa")) return [];
  const names = (env.MEDSHARE_AAS ?? DEFAULT_AAS.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !AA_SERVICE_NAME.test(n));
  if (bad.length) throw new Error(`MEDSHARE_AAS: ${bad.join(", ")} is not a service name (a letter, then 1-15 letters, digits, _ or -)`);
  return [...new Set(names)];
}

/** The environment variables of one AA on an external PostgreSQL, e.g. MEDSHARE_AA_HA1_DATABASE_URL. */
export const aaEnvName = (name: string, what: "DATABASE_URL" | "OWNER_URL" | "KEK" | "LOG_SIGNING_KEY" | "PORT") =>
  `MEDSHARE_AA_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_${what}`;

/** An external PostgreSQL: the operator made the AA's database and roles; migrate it as its owner. */
export async function externalAa(name: string, env: NodeJS.ProcessEnv, local: () => { kek: string; logSigningKey: string }): Promise<AaDeployment> {
  const databaseUrl = env[aaEnvName(name, "DATABASE_URL")];
  const ownerUrl = env[aaEnvName(name, "OWNER_URL")];
  if (!databaseUrl || !ownerUrl)
    throw new Error(
      `DATABASE_URL is set, so the attribute authority ${name} needs ${aaEnvName(name, "DATABASE_URL")} (its service role) and ${aaEnvName(name, "OWNER_URL")} (the owner of its own database). See docs/DEPLOY.md.`,
    );
  await migrateAaDatabase(ownerUrl, decodeURIComponent(new URL(databaseUrl).username));
  return {
    name,
    databaseUrl,
    kek: env[aaEnvName(name, "KEK")] ?? local().kek,
    logSigningKey: env[aaEnvName(name, "LOG_SIGNING_KEY")] ?? local().logSigningKey,
  };
}

/** The AA's process environment: its name, database, KEK, log key and the registration authority's public key; nothing of any other party. */
export function aaServiceEnv(base: NodeJS.ProcessEnv, aa: AaDeployment, opts: { authorityPublicKey: string; port: number; host?: string }): NodeJS.ProcessEnv {
  return {
    ...base,
    MEDSHARE_ROLE: "aa",
    MEDSHARE_AA_NAME: aa.name,
    DATABASE_URL: aa.databaseUrl,
    MEDSHARE_AA_KEK: aa.kek,
    MEDSHARE_AA_LOG_SIGNING_KEY: aa.logSigningKey,
    MEDSHARE_AUTHORITY_PUBLIC_KEY: opts.authorityPublicKey,
    PORT: String(opts.port),
    HOST: opts.host ?? "127.0.0.1",
  };
}
