/**
 * A GET from the browser that is asked once more, after a second, when the first attempt met a
 * dropped connection or a server error (a busy or restarting server); never after a refusal
 * (4xx). Resolves with the last response, or null when no answer came.
 */
export async function getOnceMore(url: string, init: RequestInit = {}): Promise<Response | null> {
  const first = await fetch(url, { ...init, method: "GET" }).catch(() => null);
  if (first && first.status < 500) return first;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return fetch(url, { ...init, method: "GET" }).catch(() => first);
}
