import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { publicKeyOf } from "@/lib/parties/token";

/**
 * The CSP's API (lib/csp/api) served over real HTTP from this test process, on the test's
 * database, with the authority's token keys set up: portal code under test calls it exactly as
 * it calls the CSP's own process under `npm start` (the e2e suite runs the real split).
 */
export async function startCspService(): Promise<{ url: string; close(): Promise<void> }> {
  const secret = randomBytes(32);
  process.env.MEDSHARE_PARTY_SIGNING_KEY = secret.toString("hex");
  process.env.MEDSHARE_AUTHORITY_PUBLIC_KEY = Buffer.from(publicKeyOf(secret)).toString("hex");
  const { serveCspCall } = await import("@/lib/csp/api/serve");
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const request = new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers, body: req.method === "POST" ? Buffer.concat(chunks) : undefined });
    const op = (req.url ?? "").replace(/^\/api\/csp\//, "");
    const response = await serveCspCall(request, op);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.MEDSHARE_CSP_URL = url;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
