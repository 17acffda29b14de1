import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Serves a fetch-style handler (Request -> Response) over node:http: an attribute authority's
 * process (scripts/aa.ts) and the tests' in-process AA services. Bodies over `limit` bytes are
 * refused with 413 before the handler sees them.
 */
export async function serveHandler(
  handle: (req: Request) => Promise<Response>,
  opts: { port?: number; host?: string; limit?: number } = {},
): Promise<{ url: string; port: number; server: Server; close(): Promise<void> }> {
  const limit = opts.limit ?? 64 * 1024;
  const host = opts.host ?? "127.0.0.1";
  const server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req) {
        size += (c as Buffer).length;
        if (size > limit) {
          res.writeHead(413, { "Content-Type": "application/json", Connection: "close" });
          res.end(JSON.stringify({ error: { code: "PAYLOAD_TOO_LARGE", message: `The request body is larger than ${limit} bytes.` } }));
          return;
        }
        chunks.push(c as Buffer);
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request(`http://${host}${req.url ?? "/"}`, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
      const response = await handle(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    } catch {
      if (!res.headersSent) res.writeHead(400, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { code: "VALIDATION", message: "The request could not be read." } }));
    }
  });
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
