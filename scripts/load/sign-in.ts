import { cookieHeader } from "./summary";
import type { Credentials } from "./server";

/** Signs in through next-auth's credentials form, as the login page does; returns the Cookie header. */
export async function signIn(baseUrl: string, who: Credentials): Promise<string> {
  const csrf = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  let cookies = cookieHeader(csrf.headers.getSetCookie());
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrfToken, email: who.email, password: who.password, json: "true" }),
  });
  cookies = cookieHeader(res.headers.getSetCookie(), cookies);
  if (!/session-token=/.test(cookies)) throw new Error(`sign-in failed (HTTP ${res.status})`);
  return cookies;
}
