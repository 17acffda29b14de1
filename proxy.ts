import { getToken } from "next-auth/jwt";
import { NextResponse, type NextRequest } from "next/server";

/**
 * A first, cheap gate: role pages need a session cookie. The real checks (approval, role,
 * revocation) happen inside every page, server action and route handler against the database.
 */
export async function proxy(req: NextRequest) {
  const token = await getToken({ req, secret: process.env.NEXTAUTH_SECRET });
  if (!token) {
    const url = new URL("/login", req.url);
    url.searchParams.set("next", req.nextUrl.pathname);
    return NextResponse.redirect(url);
  }
  return NextResponse.next();
}

export const config = { matcher: ["/hospital/:path*", "/research/:path*", "/admin/:path*", "/keys/:path*"] };
