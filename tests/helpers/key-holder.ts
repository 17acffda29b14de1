import { ckksPublicKeysById } from "@/lib/authority/ckks";
import { runKeyHolderCall } from "@/lib/authority/run-key-holder";
import type { KeyHolderSide } from "@/lib/clustering/standard";
import { cspEvalKeys } from "@/lib/hopcm/encrypted";
import type { RunKeyHolderLink } from "@/lib/parties/run-kh-client";
import { runCalls, type RunCall, type RunOrder } from "@/lib/parties/run-kh-wire";
import { fromWireBody, toWireBody } from "@/lib/parties/wire";

/**
 * The key holder's session (lib/authority/run-key-holder.ts) called in this test process: the
 * same calls the authority's route serves, each message through the parties' wire format as
 * bytes, without the HTTP and the token (the e2e journeys and e2e/run-key-holder.spec.ts go
 * over HTTP between the real processes).
 */
export function inProcessKeyHolder(runId: string): KeyHolderSide {
  const through = async (op: RunCall, input: unknown) => {
    const sent = toWireBody(input);
    const body = typeof sent.body === "string" ? new TextEncoder().encode(sent.body) : sent.body;
    const answer = toWireBody(await runKeyHolderCall(op, runId, fromWireBody(body, sent.contentType)));
    return fromWireBody(typeof answer.body === "string" ? new TextEncoder().encode(answer.body) : answer.body, answer.contentType);
  };
  let session = "";
  const link: RunKeyHolderLink = {
    async begin(start) {
      const begun = runCalls["run-begin"].response.parse(await through("run-begin", start));
      session = begun.session;
      return begun.order;
    },
    async answer(cts) {
      const next = runCalls["run-answer"].response.parse(await through("run-answer", { session, cts, first: 0 }));
      if (next.kind === "more") throw new Error("the key holder wanted more");
      return next as RunOrder;
    },
    async abort(reason) {
      await through("run-abort", { session, reason });
    },
  };
  return { link, evalKeys: async (keyId) => cspEvalKeys((await ckksPublicKeysById(keyId)).publicKeys) };
}

/**
 * The key holder's route (POST /api/key-holder/<call>, GET …/keys?id=) served over real HTTP from
 * this process, as the authority's process serves it: worker processes spawned with this
 * process's environment (MEDSHARE_AUTHORITY_URL, the CSP's signing key) reach it as they reach
 * the authority under `npm start` (scripts/bench-workers.ts).
 */
export async function startKeyHolderService(): Promise<{ url: string; close(): Promise<void> }> {
  const { createServer } = await import("node:http");
  const { randomBytes } = await import("node:crypto");
  const signing = randomBytes(32).toString("hex");
  process.env.MEDSHARE_CSP_LOG_SIGNING_KEY ??= signing;
  const { serveKeyHolderCall } = await import("@/lib/authority/blind-key-holder");
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(`http://127.0.0.1${req.url}`);
    let response: Response;
    const keyId = url.searchParams.get("id");
    if (req.method === "GET" && url.pathname === "/api/key-holder/keys" && keyId) {
      const { publicKeys } = await ckksPublicKeysById(keyId);
      const { body, contentType } = toWireBody({ keyId, ...publicKeys, publicKey: undefined });
      response = new Response(body, { headers: { "Content-Type": contentType } });
    } else {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const request = new Request(url, { method: req.method, headers, body: req.method === "POST" ? Buffer.concat(chunks) : undefined });
      response = await serveKeyHolderCall(request, url.pathname.replace(/^\/api\/key-holder\//, ""));
    }
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as import("node:net").AddressInfo;
  process.env.MEDSHARE_AUTHORITY_URL = `http://127.0.0.1:${address.port}`;
  return { url: process.env.MEDSHARE_AUTHORITY_URL, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
