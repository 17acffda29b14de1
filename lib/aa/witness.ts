import "server-only";
import { settings } from "@/lib/config/env";
import type { Db } from "@/lib/db/client";
import { httpLogSource, witnessOnce, witnessState, type WitnessResult, type WitnessState } from "@/lib/ledger/witness";
import { aaServices, fetchAaHealth } from "./client";
import { aaLogName } from "./log";

/**
 * The portal (authority) witnesses each attribute authority's log (lib/aa/log.ts) as it witnesses
 * the CSP's: it keeps the last head it accepted in authority.log_witness (log `aa:HA1`), accepts a
 * new one only with a valid signature and a consistency proof, and audits a fork, a rollback or a
 * refused head in its own log. The key heads must verify under is the one configured for the AA
 * (MEDSHARE_AA_LOG_PUBLIC_KEYS, set by the launcher for the AAs it runs), else the one pinned in
 * the row at the first head accepted; only with neither does the portal take the key the AA
 * announces on /api/aa/health. So an AA operator who swaps the log key (to sign a rewritten
 * history) gets a refused head and an alert, not a new pin (docs/SECURITY.md).
 */
export function configuredAaLogKeys(): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of (settings().MEDSHARE_AA_LOG_PUBLIC_KEYS ?? "").split(",")) {
    const [name, key] = entry.split("=").map((s) => s.trim());
    if (name && key && /^[0-9a-fA-F]{64}$/.test(key)) out.set(name, key.toLowerCase());
  }
  return out;
}

/** The key an AA's log heads must verify under: the configured one, else the one pinned in what the portal kept; null before either. */
export function aaLogKey(name: string, kept: WitnessState | null): string | null {
  return configuredAaLogKeys().get(name) ?? kept?.publicKey ?? null;
}

/** Witnesses the log of the AA service `name` once, now. */
export async function witnessAa(q: Db, name: string): Promise<WitnessResult> {
  const watched = aaLogName(name);
  const url = aaServices().get(name);
  const previous = await witnessState(q, "authority", watched);
  if (!url) return { state: previous, outcome: "unconfigured", problem: `No attribute authority service named ${name} is configured.` };
  let key = aaLogKey(name, previous);
  if (!key) {
    try {
      key = (await fetchAaHealth(name)).logPublicKey;
    } catch {
      return { state: previous, outcome: "unreachable", problem: `The attribute authority ${name}'s log could not be reached.` };
    }
  }
  return witnessOnce(q, "authority", httpLogSource(url, "/api/aa/log"), key, { watched, pin: true });
}

/** Every configured AA's log, witnessed now (one after the other: a handful of services). */
export async function witnessAas(q: Db): Promise<Array<{ name: string } & WitnessResult>> {
  const out: Array<{ name: string } & WitnessResult> = [];
  for (const name of aaServices().keys()) out.push({ name, ...(await witnessAa(q, name)) });
  return out;
}

/** What the portal keeps of each AA's log, for /admin. */
export async function aaWitnessStates(q: Db): Promise<Map<string, WitnessState | null>> {
  const names = [...aaServices().keys()];
  const states = await Promise.all(names.map((name) => witnessState(q, "authority", aaLogName(name))));
  return new Map(names.map((name, i) => [name, states[i]]));
}
