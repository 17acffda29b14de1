/**
 * The sign-in form's call to next-auth's credentials callback, without next-auth/react's
 * `signIn`: that one first fetches /api/auth/providers and, if that answer is not a 200 (a
 * busy or restarting server), sends the browser to next-auth's bare error page; and it reads
 * any answer as JSON, so a 503 from the gateway left the form spinning with no message. Here
 * every outcome is a sentence for the form, and nothing navigates.
 */
import { getOnceMore } from "@/lib/browser/get-once-more";

export type SignInOutcome = { ok: true } | { ok: false; error: string };

const UNAVAILABLE = "Sign-in is unavailable right now. Please try again in a few seconds.";
const WRONG = "Wrong e-mail or password.";
const EXPIRED = "This sign-in form has expired. Please sign in again.";

async function csrfToken(): Promise<string | null> {
  const response = await getOnceMore("/api/auth/csrf", { cache: "no-store", credentials: "same-origin" });
  const body = response?.ok ? ((await response.json().catch(() => null)) as { csrfToken?: unknown } | null) : null;
  return typeof body?.csrfToken === "string" ? body.csrfToken : null;
}

/**
 * next-auth answers `{ url }`; a refused sign-in carries the reason in the url's `error`
 * parameter, a refused form token `csrf=true` (undefined: not next-auth's answer).
 */
function errorOf(body: unknown): string | null | undefined {
  const url = (body as { url?: unknown } | null)?.url;
  if (typeof url !== "string") return undefined;
  try {
    const params = new URL(url, window.location.origin).searchParams;
    if (params.get("csrf") === "true") return EXPIRED;
    return params.get("error");
  } catch {
    return undefined;
  }
}

export async function signInWithPassword(email: string, password: string): Promise<SignInOutcome> {
  const token = await csrfToken();
  if (!token) return { ok: false, error: UNAVAILABLE };
  const body = new URLSearchParams({ email, password, csrfToken: token, callbackUrl: window.location.href, json: "true" });
  const response = await fetch("/api/auth/callback/credentials", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body,
  }).catch(() => null);
  if (!response) return { ok: false, error: UNAVAILABLE };
  const answer = await response.json().catch(() => null);
  const error = errorOf(answer);
  if (error === undefined) {
    // Not next-auth's answer: the gateway's own JSON error (503, 413) has a message to show.
    const message = (answer as { error?: { message?: unknown } } | null)?.error?.message;
    return { ok: false, error: typeof message === "string" ? message : UNAVAILABLE };
  }
  if (error) return { ok: false, error: error === "CredentialsSignin" ? WRONG : error };
  return response.ok ? { ok: true } : { ok: false, error: UNAVAILABLE };
}
