import { getToken } from "next-auth/jwt";
import { NextResponse, type NextRequest } from "next/server";
import { settings } from "@/lib/config/env";
import { contentSecurityPolicy, newNonce } from "@/lib/http/csp";
import { servesPath, serviceRole } from "@/lib/parties/role";

const ROLE_PAGES = ["/hospital", "/research", "/admin", "/keys"];
const isRolePage = (pathname: string) => ROLE_PAGES.some((p) => pathname === p || pathname.startsWith(`${p}/`));

/**
 * Every page gets a nonce-based Content-Security-Policy (Next reads the nonce from the
 * request's CSP header and puts it on its own scripts). Role pages also pass a first, cheap
 * gate: a session cookie. The real checks (approval, role, revocation) happen inside every
 * page, server action and route handler against the database.
 */
export async function proxy(req: NextRequest) {
  // One build, started in roles: each service answers only its own routes (lib/parties/role.ts).
  if (!servesPath(serviceRole(), req.nextUrl.pathname))
    return NextResponse.json({ error: { code: "NOT_FOUND", message: `Not served by the ${serviceRole()} service.` } }, { status: 404 });
  if (req.nextUrl.pathname.startsWith("/api/")) return NextResponse.next();
  const nonce = newNonce();
  // NODE_ENV is Next's own (inlined at build), not an operator's setting
  const csp = contentSecurityPolicy(nonce, process.env.NODE_ENV === "development");
  const withPolicy = (res: NextResponse) => (res.headers.set("Content-Security-Policy", csp), res);

  if (isRolePage(req.nextUrl.pathname) && !(await getToken({ req, secret: settings().NEXTAUTH_SECRET }))) {
    const url = new URL("/login", req.url);
    url.searchParams.set("next", req.nextUrl.pathname);
    return withPolicy(NextResponse.redirect(url));
  }
  const headers = new Headers(req.headers);
  headers.set("x-nonce", nonce);
  headers.set("Content-Security-Policy", csp);
  return withPolicy(NextResponse.next({ request: { headers } }));
}

// All pages (and server actions posted to them) and the API; not static assets or images.
export const config = { matcher: ["/((?!_next/static/|_next/image|favicon.ico|robots.txt).*)"] };
