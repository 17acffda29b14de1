/**
 * The digest an upload remembers of its source file, so the hospital is warned before storing
 * the same file twice: SHA-256 over a domain tag, the organisation id and the file's bytes, as
 * lower-case hex. Salting with the organisation means equal files of two organisations do not
 * match; the CSP, which keeps it, learns only that one organisation uploaded one file twice.
 * Computed in the browser (WebCrypto); isomorphic.
 */
const TAG = "medshare-source-file-v1";

export async function sourceDigest(organisationId: string, bytes: Uint8Array): Promise<string> {
  const head = new TextEncoder().encode(`${TAG}|${organisationId}|`);
  const all = new Uint8Array(head.length + bytes.length);
  all.set(head);
  all.set(bytes, head.length);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}
