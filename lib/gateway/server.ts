import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import net, { type BlockList } from "node:net";
import { clientAddress } from "./client-address";
import { bodyLimit } from "./limits";
import { malformedActionBody } from "./action-body";

/**
 * The front gateway: the only thing listening on the public port, in front of `next start`
 * on 127.0.0.1. It exists because Next buffers request bodies without a limit (a chunked
 * 1 GiB POST grew next-server by 1.2 GiB) and trusts client-sent forwarding headers. It
 * streams bodies through while counting (413 the moment a body passes its route's limit,
 * never buffering past it) and replaces every forwarding header with one it computed.
 */
export type GatewayOptions = {
  /** Where `next start` listens (127.0.0.1). Read on every request, so a restarted server may move. */
  upstream: () => { host: string; port: number } | null;
  trusted: BlockList;
  /** Origins besides the request's own host that may call server actions (NEXTAUTH_URL's). */
  allowedOrigins?: readonly string[];
  /** How long an idle kept-alive socket to the upstream is kept (default 30 s; the upstream must keep it longer: web-process.ts starts Next with 65 s). */
  upstreamIdleMs?: number;
  /** Overrides lib/gateway/limits.ts (tests). */
  limit?: (method: string, pathname: string, isAction: boolean) => number;
};

/** Headers a client may not set: the gateway alone says who the client is and how it reached us. */
const CLIENT_FORWARDING_HEADERS = [
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-forwarded-port",
  "x-real-ip",
  "forwarded",
  "x-medshare-client-address",
];
/** Hop-by-hop headers (RFC 9110 §7.6.1) end at the gateway. */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"];
export const CLIENT_ADDRESS_HEADER = "x-medshare-client-address";

/**
 * Kept-alive sockets to the upstream: an idle one is closed after `upstreamIdleMs` (the
 * agent's socket timeout destroys a free socket), well before next-server closes it (65 s,
 * scripts/web-process.ts). Node 20's agent does not read the upstream's Keep-Alive hint, and
 * reused a socket whose FIN was on its way: the request got ECONNRESET.
 */
export const UPSTREAM_IDLE_MS = 30_000;
const agents = new Map<number, http.Agent>();
function agentFor(idleMs: number): http.Agent {
  let agent = agents.get(idleMs);
  if (!agent) agents.set(idleMs, (agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: idleMs })));
  return agent;
}

export function jsonError(res: ServerResponse, status: number, code: string, message: string, close = false) {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ error: { code, message } });
  const headers: http.OutgoingHttpHeaders = { "content-type": "application/json", "content-length": Buffer.byteLength(body), "cache-control": "no-store" };
  if (close) headers.connection = "close";
  res.writeHead(status, headers).end(body);
}

function upstreamHeaders(req: IncomingMessage, trusted: BlockList): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = { ...req.headers };
  const connectionTokens = String(req.headers.connection ?? "")
    .split(",")
    .map((t) => t.trim().toLowerCase());
  for (const name of [...HOP_BY_HOP, ...connectionTokens, ...CLIENT_FORWARDING_HEADERS]) delete headers[name];
  headers[CLIENT_ADDRESS_HEADER] = clientAddress(req.socket.remoteAddress ?? "", req.headers["x-forwarded-for"], trusted);
  return headers;
}

function responseHeaders(res: IncomingMessage): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = { ...res.headers };
  for (const name of HOP_BY_HOP) delete headers[name];
  return headers;
}

/** After a 413, how long the socket stays open, and how much of the rest of the body is read and dropped meanwhile. */
const LINGER_MS = 5_000;
const LINGER_BYTES = 8 * 1024 * 1024;

/**
 * Answers (413, 403) and then reads and drops what the client is still sending, for a bounded while:
 * closing at once would reset the connection under a client still writing, and it would see
 * a network error instead of the 413. Past the byte budget reading stops (the client's writes
 * block, so it reads the answer) and the socket is cut when the time is up. Cutting at the byte
 * budget lost the 413 to a busy client that had not read it yet (CI: "write ECONNRESET").
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, limit: number) {
  refuseAndDrain(req, res, 413, "PAYLOAD_TOO_LARGE", tooLargeMessage(limit));
}

function refuseAndDrain(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string) {
  req.removeAllListeners("data");
  let dropped = 0;
  const cut = () => req.socket.destroy();
  const timer = setTimeout(cut, LINGER_MS);
  timer.unref();
  req.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) req.pause();
  });
  req.on("end", () => clearTimeout(timer));
  req.on("close", () => clearTimeout(timer));
  req.resume();
  jsonError(res, status, code, message);
}

const tooLargeMessage = (limit: number) => `The request body is larger than this address accepts (${limit} bytes).`;

function isActionRequest(req: IncomingMessage, pathname: string): boolean {
  if (req.method !== "POST" || pathname.startsWith("/api/")) return false;
  // Next-Action: a server action called from script; multipart to a page: a form posted without script.
  return req.headers["next-action"] !== undefined || String(req.headers["content-type"] ?? "").startsWith("multipart/form-data");
}

/** A browser's action call from another site: its Origin is neither this host nor an allowed origin. */
function crossOriginAction(req: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false; // not a browser; Next's own check applies
  if (allowed.includes(origin)) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true; // "null" or garbage
  }
}

function handle(req: IncomingMessage, res: ServerResponse, opts: GatewayOptions) {
  const pathname = (req.url ?? "/").split("?")[0];
  const action = isActionRequest(req, pathname);
  const limit = (opts.limit ?? bodyLimit)(req.method ?? "GET", pathname, action);
  const declared = req.headers["content-length"] === undefined ? null : Number(req.headers["content-length"]);
  if (declared !== null && declared > limit) return refuseTooLarge(req, res, limit);
  const target = opts.upstream();
  if (!target) return jsonError(res, 503, "UNAVAILABLE", "MedShare is restarting. Please try again in a few seconds.");

  // A body-less GET/HEAD can be sent again: see the retry below.
  const idempotent = (req.method === "GET" || req.method === "HEAD") && !req.headers["transfer-encoding"] && !(declared ?? 0);
  let retried = false;
  const agent = agentFor(opts.upstreamIdleMs ?? UPSTREAM_IDLE_MS);
  const forward = (body: Buffer | null): http.ClientRequest => {
    const headers = upstreamHeaders(req, opts.trusted);
    if (body) {
      delete headers["transfer-encoding"];
      headers["content-length"] = String(body.length);
    }
    const proxied = http.request({ host: target.host, port: target.port, method: req.method, path: req.url, headers, agent }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, responseHeaders(upstream));
      res.flushHeaders(); // streamed RSC responses: the first bytes must not wait
      upstream.pipe(res);
      upstream.on("error", () => res.destroy());
    });
    let failed = false;
    proxied.on("error", () => {
      if (failed) return; // one answer per upstream request
      failed = true;
      // A kept-alive socket that next-server closed just as the gateway reused it (Node's
      // documented keep-alive race; under load a page's script chunk got a 503 this way): an
      // idempotent request is sent once more, on a fresh socket.
      if (idempotent && !retried && proxied.reusedSocket && !res.headersSent) {
        retried = true;
        forward(null).end();
        return;
      }
      jsonError(res, 503, "UNAVAILABLE", "MedShare is restarting. Please try again in a few seconds.");
    });
    res.on("close", () => {
      if (!res.writableFinished) proxied.destroy(); // the client went away: stop the upstream work too
    });
    return proxied;
  };

  let received = 0;
  const tooLarge = (onRefused: () => void) => {
    received = -Infinity;
    onRefused();
    refuseTooLarge(req, res, limit);
  };

  if (action && crossOriginAction(req, opts.allowedOrigins ?? [])) {
    // Next would refuse it too, but with a 500; and this check cannot be fooled by X-Forwarded-Host.
    return refuseAndDrain(req, res, 403, "FORBIDDEN", "Cross-origin server action refused.");
  }

  if (action) {
    // Server-action bodies are checked before Next decodes them (Next answers 500 to garbage);
    // they are capped at 1 MiB, so holding one in memory is bounded.
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return tooLarge(() => parts.splice(0));
      parts.push(chunk);
    });
    req.on("end", () => {
      if (received < 0) return;
      const body = Buffer.concat(parts);
      const problem = malformedActionBody(req.headers, body);
      if (problem) return jsonError(res, 400, "BAD_REQUEST", problem);
      forward(body).end(body);
    });
    return;
  }

  const proxied = forward(null);
  req.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) return tooLarge(() => proxied.destroy());
    if (!proxied.write(chunk)) {
      req.pause();
      proxied.once("drain", () => req.resume());
    }
  });
  req.on("end", () => {
    if (received >= 0) proxied.end();
  });
  req.on("error", () => proxied.destroy());
}

/** WebSocket-style upgrades (only `next dev` uses one, for hot reload): piped through with the same header rules. */
function upgrade(req: IncomingMessage, socket: net.Socket, head: Buffer, opts: GatewayOptions) {
  const target = opts.upstream();
  if (!target) return socket.destroy();
  const headers = upstreamHeaders(req, opts.trusted);
  headers.connection = "Upgrade";
  headers.upgrade = req.headers.upgrade;
  const upstream = net.connect(target.port, target.host, () => {
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (const [name, value] of Object.entries(headers)) for (const v of [value ?? []].flat()) lines.push(`${name}: ${v}`);
    upstream.write(lines.join("\r\n") + "\r\n\r\n");
    upstream.write(head);
    upstream.pipe(socket).pipe(upstream);
  });
  upstream.on("error", () => socket.destroy());
  socket.on("error", () => upstream.destroy());
}

export function createGateway(opts: GatewayOptions): http.Server {
  const server = http.createServer({ keepAlive: true }, (req, res) => handle(req, res, opts));
  server.on("upgrade", (req, socket, head) => upgrade(req, socket as net.Socket, head, opts));
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });
  return server;
}

/** A free loopback port for the internal Next server. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
