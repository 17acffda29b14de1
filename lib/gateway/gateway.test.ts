// The front gateway against real sockets: a real upstream HTTP server behind it, real clients
// in front (node:http, so bodies can be streamed chunked and headers spoofed at will).
import http, { type IncomingHttpHeaders } from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientAddress, trustedProxies } from "./client-address";
import { BODY_LIMITS, bodyLimit } from "./limits";
import { malformedActionBody } from "./action-body";
import { createGateway } from "./server";
import { sendHeadOnly } from "@/e2e/fixtures/attacks";

type Seen = { method: string; url: string; headers: IncomingHttpHeaders; bytes: number };
const seen: Seen[] = [];
let upstream: http.Server;
let gateway: http.Server;
let trustedGateway: http.Server;
const PORT = 3320;
const TRUSTING_PORT = 3321;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const record: Seen = { method: req.method!, url: req.url!, headers: req.headers, bytes: 0 };
    seen.push(record);
    req.on("data", (c: Buffer) => (record.bytes += c.length));
    req.on("end", () => {
      if (req.url === "/stream") {
        // A streamed response (like Next's RSC): the first part must reach the client before the last is written.
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first\n");
        setTimeout(() => res.end("last\n"), 300);
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] }).end(JSON.stringify({ bytes: record.bytes }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const target = { host: "127.0.0.1", port: (upstream.address() as AddressInfo).port };
  gateway = createGateway({ upstream: () => target, trusted: trustedProxies(""), allowedOrigins: ["https://medshare.example"] });
  trustedGateway = createGateway({ upstream: () => target, trusted: trustedProxies("127.0.0.1, 10.0.0.0/8") });
  await new Promise<void>((r) => gateway.listen(PORT, "127.0.0.1", r));
  await new Promise<void>((r) => trustedGateway.listen(TRUSTING_PORT, "127.0.0.1", r));
});

afterAll(async () => {
  for (const s of [gateway, trustedGateway, upstream]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

type Reply = { status: number; body: string; headers: IncomingHttpHeaders; sent: number };

/** Streams `total` bytes chunked (no Content-Length) until the gateway answers or the body is done. */
function streamChunked(path: string, total: number, headers: Record<string, string> = {}, port = PORT): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request({ host: "127.0.0.1", port, path, method: "POST", headers: { "transfer-encoding": "chunked", ...headers } }, (res) => {
      answered = true;
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body, headers: res.headers, sent }));
    });
    req.on("error", (e) => (answered ? undefined : reject(e)));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

function send(path: string, opts: { method?: string; headers?: Record<string, string | string[]>; body?: string | Buffer } = {}, port = PORT): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: opts.method ?? "GET", headers: opts.headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body, headers: res.headers, sent: 0 }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

describe("body limits", () => {
  it("cuts a chunked 64 MiB sign-in POST off with 413 after 16 KiB, and the upstream never sees more", async () => {
    seen.length = 0;
    const reply = await streamChunked("/api/auth/callback/credentials", 64 * 1024 * 1024);
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(reply.sent).toBeLessThan(16 * 1024 * 1024); // refused while streaming, not after
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.reduce((n, s) => n + s.bytes, 0)).toBeLessThanOrEqual(BODY_LIMITS.auth);
  });

  it("a client that writes 32 MiB before it reads anything still gets its 413 (no reset under it)", async () => {
    // A busy client (CI's loaded journeys) writes on before reading the answer; cutting the socket once
    // 8 MiB were dropped reset the connection under it and the 413 was lost ("write ECONNRESET").
    const socket = net.connect(PORT, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    let error: Error | null = null;
    socket.on("error", (e) => (error = e));
    socket.pause(); // read nothing yet
    socket.write("POST /api/auth/callback/credentials HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n");
    const piece = Buffer.alloc(64 * 1024, 0x61);
    for (let sent = 0; sent < 32 * 1024 * 1024; sent += piece.length) socket.write(`${piece.length.toString(16)}\r\n${piece.toString()}\r\n`);
    await new Promise((r) => setTimeout(r, 1_000));
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString()));
    socket.resume();
    await expect.poll(() => answer, { timeout: 3_000 }).toMatch(/^HTTP\/1\.1 413/);
    expect(error).toBeNull();
    socket.destroy();
  });

  it("answers 413 from Content-Length alone, before reading the body", async () => {
    seen.length = 0;
    const at = `http://127.0.0.1:${PORT}`;
    expect(await sendHeadOnly(`${at}/api/uploads/x/chunks/0`, "PUT", { "content-length": String(BODY_LIMITS.uploadChunk + 1) })).toBe(413);
    expect(await sendHeadOnly(`${at}/api/auth/callback/credentials`, "POST", { "content-length": String(1024 * 1024 * 1024) })).toBe(413);
    expect(
      await sendHeadOnly(`${at}/register`, "POST", { "next-action": "7f".repeat(21), "content-type": "text/plain", "content-length": String(2 * 1024 * 1024) }),
    ).toBe(413);
    expect(seen).toHaveLength(0);
  });

  it("streams a body within the route's limit through whole (an upload chunk of exactly the maximum)", async () => {
    const reply = await send("/api/uploads/x/chunks/0", { method: "PUT", body: Buffer.alloc(BODY_LIMITS.uploadChunk, 1) });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).bytes).toBe(BODY_LIMITS.uploadChunk);
  });

  it("caps server actions at 1 MiB, chunked or not", async () => {
    const reply = await streamChunked("/hospital", 4 * 1024 * 1024, { "next-action": "7f".repeat(21), "content-type": "text/plain;charset=UTF-8" });
    expect(reply.status).toBe(413);
  });

  it("knows each route's limit", () => {
    expect(bodyLimit("POST", "/api/auth/callback/credentials", false)).toBe(16 * 1024);
    // a run of a block's feature ciphertexts: up to 8 MiB, under Next's 10 MiB proxy cap; the old per-ciphertext path is just an API route
    expect(bodyLimit("PUT", "/api/uploads/abc/features/3", false)).toBe(8 * 1024 * 1024);
    expect(bodyLimit("PUT", "/api/uploads/abc/features/3/7", false)).toBe(BODY_LIMITS.api);
    expect(bodyLimit("POST", "/api/csp/features.putBlock", false)).toBe(BODY_LIMITS.cspFeatureRun);
    expect(bodyLimit("POST", "/api/csp/uploads.putChunk", false)).toBe(BODY_LIMITS.cspCall);
    expect(bodyLimit("PUT", "/api/uploads/abc/features/stats", false)).toBe(BODY_LIMITS.featureCiphertext);
    expect(bodyLimit("POST", "/api/uploads", false)).toBe(BODY_LIMITS.uploadStart);
    expect(bodyLimit("POST", "/keys", true)).toBe(1024 * 1024);
    expect(bodyLimit("POST", "/keys", false)).toBe(BODY_LIMITS.other);
  });
});

describe("malformed server-action bodies", () => {
  const action = { "next-action": "7f87c525904a3e4606022e10d65cc722489507b822", "content-type": "text/plain;charset=UTF-8" };
  it.each([
    ["not JSON", "not json{"],
    ["a dangling reference", '"$Q99"'],
    ["invalid UTF-8", Buffer.from([0x5b, 0xff, 0x5d])],
  ])("refuses %s with 400 before Next sees it", async (_what, body) => {
    seen.length = 0;
    const reply = await send("/register", { method: "POST", headers: action, body });
    expect(reply.status).toBe(400);
    expect(seen).toHaveLength(0);
  });

  it("refuses a broken multipart body with 400", async () => {
    const reply = await send("/register", { method: "POST", headers: { ...action, "content-type": "multipart/form-data; boundary=xyz" }, body: "garbage" });
    expect(reply.status).toBe(400);
  });

  it("passes what Next's client sends", () => {
    expect(
      malformedActionBody(action, Buffer.from(JSON.stringify([{ name: "$$literal dollar", at: "$D2026-01-01T00:00:00.000Z", n: "$n12", u: "$undefined" }]))),
    ).toBeNull();
    const multipart =
      '--b\r\nContent-Disposition: form-data; name="1_name"\r\n\r\nAda\r\n--b\r\nContent-Disposition: form-data; name="0"\r\n\r\n["$K1"]\r\n--b--\r\n';
    expect(malformedActionBody({ ...action, "content-type": "multipart/form-data; boundary=b" }, Buffer.from(multipart))).toBeNull();
  });
});

describe("forwarding headers", () => {
  it("strips every client-sent forwarding header and says who the client is", async () => {
    seen.length = 0;
    await send("/login", {
      headers: {
        "x-forwarded-for": "6.6.6.6",
        "x-forwarded-host": "evil.test",
        "x-forwarded-proto": "https",
        "x-real-ip": "6.6.6.6",
        forwarded: "for=6.6.6.6",
        "x-medshare-client-address": "6.6.6.6",
      },
    });
    const h = seen[0].headers;
    for (const name of ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "forwarded"]) expect(h[name]).toBeUndefined();
    expect(h["x-medshare-client-address"]).toBe("127.0.0.1");
  });

  it("believes X-Forwarded-For only from a trusted proxy, right-most untrusted entry", async () => {
    seen.length = 0;
    await send("/login", { headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.1.2.3", "x-medshare-client-address": "1.1.1.1" } }, TRUSTING_PORT);
    expect(seen[0].headers["x-medshare-client-address"]).toBe("203.0.113.9");
    const trusted = trustedProxies("10.0.0.0/8,::1");
    expect(clientAddress("::ffff:198.51.100.7", "1.2.3.4", trusted)).toBe("198.51.100.7"); // untrusted peer: its header is ignored
    expect(clientAddress("::1", "garbage, 10.0.0.1", trusted)).toBe("10.0.0.1");
    expect(() => trustedProxies("not-an-ip")).toThrow(/MEDSHARE_TRUSTED_PROXIES/);
  });

  it("refuses a cross-origin server action even when X-Forwarded-Host agrees with the Origin", async () => {
    seen.length = 0;
    const reply = await send("/register", {
      method: "POST",
      headers: {
        "next-action": "7f87c525904a3e4606022e10d65cc722489507b822",
        "content-type": "text/plain",
        origin: "http://evil.test",
        "x-forwarded-host": "evil.test",
      },
      body: "[]",
    });
    expect(reply.status).toBe(403);
    expect(seen).toHaveLength(0);
    const own = await send("/register", {
      method: "POST",
      headers: { "next-action": "7f87c525904a3e4606022e10d65cc722489507b822", "content-type": "text/plain", origin: "https://medshare.example" },
      body: "[]",
    });
    expect(own.status).toBe(200);
  });
});

describe("pass-through", () => {
  it("keeps multiple Set-Cookie headers and streams responses as they come", async () => {
    const reply = await send("/login");
    expect(reply.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    const firstByteAt = await new Promise<number>((resolve) => {
      const t0 = Date.now();
      http.get({ host: "127.0.0.1", port: PORT, path: "/stream" }, (res) => res.once("data", () => resolve(Date.now() - t0)).resume());
    });
    expect(firstByteAt).toBeLessThan(250);
  });

  it("adds little latency (keep-alive, 200 sequential requests)", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const time = async (port: number) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 200; i++) {
        await new Promise<void>((resolve, reject) =>
          http.get({ host: "127.0.0.1", port, path: "/login", agent }, (res) => res.resume().on("end", resolve)).on("error", reject),
        );
      }
      return Number(process.hrtime.bigint() - t0) / 1e6 / 200;
    };
    const direct = await time((upstream.address() as AddressInfo).port);
    const through = await time(PORT);
    console.log(
      `gateway latency: direct ${direct.toFixed(3)} ms/request, through the gateway ${through.toFixed(3)} ms/request (+${(through - direct).toFixed(3)} ms)`,
    );
    agent.destroy();
    expect(through - direct).toBeLessThan(5);
  });
});

describe("kept-alive sockets to the upstream", () => {
  it("are closed by the gateway once idle for upstreamIdleMs, never reused as the upstream closes them", async () => {
    // Node 20's agent reuses an idle socket until the upstream's FIN arrives: a request sent on it
    // as next-server's keep-alive (5 s) ended got ECONNRESET, and the gateway answered a server
    // action (not idempotent, so not retried) with 503 "restarting": a journey's "Start clustering
    // run" on CI, 2026-12-07. The gateway now drops idle sockets first (30 s; Next keeps them 65 s).
    const connections: net.Socket[] = [];
    const slow = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
    });
    slow.keepAliveTimeout = 10_000;
    slow.on("connection", (c) => connections.push(c));
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    const target = { host: "127.0.0.1", port: (slow.address() as AddressInfo).port };
    const front = createGateway({ upstream: () => target, trusted: trustedProxies(""), upstreamIdleMs: 150 });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    const port = (front.address() as AddressInfo).port;
    const post = () =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: "/api/thing", method: "POST", headers: { "content-type": "application/json" } }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode!));
        });
        req.on("error", reject);
        req.end("{}");
      });
    try {
      expect(await post()).toBe(200);
      await new Promise((r) => setTimeout(r, 30));
      expect(await post()).toBe(200);
      expect(connections).toHaveLength(1); // kept alive while busy
      await new Promise((r) => setTimeout(r, 400));
      expect(connections[0].destroyed || connections[0].readableEnded).toBe(true); // the gateway hung up first
      expect(await post()).toBe(200);
      expect(connections).toHaveLength(2);
    } finally {
      front.closeAllConnections();
      slow.closeAllConnections();
      await new Promise((r) => front.close(r));
      await new Promise((r) => slow.close(r));
    }
  });
});
