/**
 * Where to go after sign-in: a path on this site, or null. Browsers read `/\evil.test` and
 * `//evil.test` as another host, strip tabs and newlines before parsing (`/\t/evil.test`), and
 * follow schemes, so only a plain absolute path with printable characters and no backslash passes,
 * and it must still resolve to this origin.
 */
export function safeNextPath(next: string | null | undefined): string | null {
  if (typeof next !== "string" || next.length === 0 || next.length > 2048) return null;
  if (!next.startsWith("/") || next.startsWith("//")) return null;
  if (/[\\\u0000-\u001f\u007f\s]/.test(next)) return null;
  const base = "http://medshare.invalid";
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return null;
  }
  if (url.origin !== base) return null;
  return url.pathname + url.search + url.hash;
}
