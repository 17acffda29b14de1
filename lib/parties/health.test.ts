import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cspHealth } from "./health";

// What /admin's Services panel says about the CSP for each way it can answer (or not).
let answer: { status: number; body: string } = { status: 200, body: "" };
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(answer.status, { "Content-Type": "application/json" }).end(answer.body));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function check(body: unknown, status = 200, at = url) {
  answer = { status, body: typeof body === "string" ? body : JSON.stringify(body) };
  process.env.MEDSHARE_CSP_URL = at;
  return cspHealth();
}

describe("cspHealth", () => {
  it("is up with the CSP's own version", async () => {
    const h = await check({ service: "csp", version: "9.9.9", database: "ok", at: new Date().toISOString() });
    expect(h).toMatchObject({ party: "csp", status: "up", version: "9.9.9" });
  });

  it("says when the CSP runs but its database does not answer (503)", async () => {
    const h = await check({ service: "csp", version: "9.9.9", database: "unreachable", at: new Date().toISOString() }, 503);
    expect(h).toMatchObject({ status: "database-unreachable", version: "9.9.9" });
  });

  it("is unreachable, in plain words, when nothing listens or something else answers", async () => {
    const down = await check({}, 200, "http://127.0.0.1:1");
    expect(down).toMatchObject({ status: "unreachable", version: null, message: "The storage service (CSP) is unreachable." });
    const html = await check("<html>Error: at Object.<anonymous> (/srv/x.js:1:1)</html>", 500);
    expect(html).toMatchObject({ status: "unreachable", message: "The storage service (CSP) is unreachable." });
    const portal = await check({ service: "authority", version: "9.9.9", database: "ok", at: new Date().toISOString() });
    expect(portal.status).toBe("unreachable");
    expect(portal.message).toMatch(/not the CSP/);
  });

  it("is unreachable when MEDSHARE_CSP_URL is not set", async () => {
    delete process.env.MEDSHARE_CSP_URL;
    expect(await cspHealth()).toMatchObject({ status: "unreachable", message: expect.stringMatching(/MEDSHARE_CSP_URL/) });
  });
});
