import { settings } from "@/lib/config/env";

/**
 * Cross-site request refusal for cookie-authenticated route handlers: a state-changing request
 * must come from our own pages. Browsers send Origin on every non-GET fetch and form post;
 * failing that, Sec-Fetch-Site must say same-origin. A request with neither is refused too,
 * since the session cookie is the only credential these routes take.
 */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function allowedOrigins(req: Request): Set<string> {
  const allowed = new Set<string>();
  const { NEXTAUTH_URL } = settings();
  if (NEXTAUTH_URL) allowed.add(new URL(NEXTAUTH_URL).origin);
  // The gateway drops client-sent X-Forwarded-Host, so Host is the address the browser used.
  const host = req.headers.get("host");
  if (host) for (const scheme of ["http", "https"]) allowed.add(`${scheme}://${host}`);
  return allowed;
}

/** Why this request may not change anything, or null when it may. */
export function crossSiteRefusal(req: Request): string | null {
  if (SAFE_METHODS.has(req.method.toUpperCase())) return null;
  const origin = req.headers.get("origin");
  if (origin !== null) return allowedOrigins(req).has(origin) ? null : "Cross-origin request refused.";
  const site = req.headers.get("sec-fetch-site");
  if (site === "same-origin") return null;
  return "Requests that change data must come from MedShare's own pages (Origin missing).";
}
