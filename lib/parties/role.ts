import { settings } from "@/lib/config/env";

/**
 * Which party this process is (DESIGN.md "Parties and trust"): one codebase, one Next.js build,
 * started in roles. `authority` serves the portal's pages, actions and API; `csp` serves only
 * /api/csp/* (and /api/health, /.well-known/medshare/log/*). MEDSHARE_ROLE unset means the authority (a plain `next dev`).
 */
export type ServiceRole = "authority" | "csp";

export function serviceRole(): ServiceRole {
  const role = settings().MEDSHARE_ROLE;
  if (role !== "authority" && role !== "csp") throw new Error(`MEDSHARE_ROLE must be "authority" or "csp", not "${role}"`);
  return role;
}

/** The routes a role serves; everything else answers 404 in that role's process. */
export function servesPath(role: ServiceRole, pathname: string): boolean {
  const csp = pathname === "/api/csp" || pathname.startsWith("/api/csp/");
  // Each party publishes its own log's heads and proofs (lib/ledger/public-log.ts).
  if (pathname === "/api/health" || pathname.startsWith("/.well-known/medshare/log/")) return true;
  return role === "csp" ? csp : !csp;
}
