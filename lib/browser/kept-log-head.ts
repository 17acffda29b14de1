import type { KeptHead } from "@/lib/ledger/check-upload";

/**
 * Where this browser keeps the last CSP log head it verified (a witness of its own, issue #16):
 * the hospital's upload checks and the researcher's decryption both check that a new head
 * extends it, and keep the newer one.
 */
export const KEPT_HEAD_KEY = "medshare:log-head:csp";

export function keptHead(): KeptHead | null {
  try {
    const v = JSON.parse(localStorage.getItem(KEPT_HEAD_KEY) ?? "null") as KeptHead | null;
    return v && Number.isSafeInteger(v.size) && typeof v.root === "string" ? v : null;
  } catch {
    return null;
  }
}

export function keepHead(head: KeptHead) {
  const kept = keptHead();
  if (!kept || head.size >= kept.size) localStorage.setItem(KEPT_HEAD_KEY, JSON.stringify({ size: head.size, root: head.root }));
}
