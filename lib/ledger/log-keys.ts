import "server-only";
import { settings, type Settings } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import { fromHex } from "./merkle";
import { publicKeyHex, signTreeHead, type SignedTreeHead } from "./sth";
import { logSize, treeRoot, type LogName } from "./tree";
import type { Db } from "@/lib/db/client";

/**
 * Each party signs its own log's heads with a key kept outside its database: the authority with
 * its ledger key (MEDSHARE_LEDGER_SIGNING_KEY), the CSP with MEDSHARE_CSP_LOG_SIGNING_KEY. The
 * other party and the browsers check heads against the public keys named below.
 */
const SECRET_ENV = { authority: "MEDSHARE_LEDGER_SIGNING_KEY", csp: "MEDSHARE_CSP_LOG_SIGNING_KEY" } as const satisfies Record<LogName, keyof Settings>;
const PUBLIC_ENV = { authority: "MEDSHARE_AUTHORITY_LOG_PUBLIC_KEY", csp: "MEDSHARE_CSP_LOG_PUBLIC_KEY" } as const satisfies Record<LogName, keyof Settings>;

function secretKey(log: LogName): Uint8Array | null {
  const hex = settings()[SECRET_ENV[log]];
  if (!hex) return null;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${SECRET_ENV[log]} must be 32 bytes, hex`);
  return fromHex(hex.toLowerCase());
}

/** The public key heads of `log` must verify under: configured, or derived where the secret is held. */
export function logPublicKey(log: LogName): string | null {
  const configured = settings()[PUBLIC_ENV[log]];
  if (configured && /^[0-9a-fA-F]{64}$/.test(configured)) return configured.toLowerCase();
  const secret = secretKey(log);
  return secret ? publicKeyHex(secret) : null;
}

/** This party's log's current head, signed now. */
export async function signedHead(q: Db, log: LogName): Promise<SignedTreeHead> {
  const key = secretKey(log);
  if (!key) throw new AppError("UNAVAILABLE", `This party's log has no signing key (${SECRET_ENV[log]}).`);
  const size = await logSize(q, log);
  const root = await treeRoot(q, log, size);
  return signTreeHead({ log, size, root, timestamp: new Date().toISOString() }, key);
}
