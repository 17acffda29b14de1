/**
 * Issue #14 on issue #12's boundary: the blind clustering protocol's key holder as the authority's
 * service (POST /api/key-holder/<call>, lib/authority/blind-key-holder.ts), called across a real
 * process boundary. This test process plays the CSP's end (lib/parties/blind-client.ts): it
 * fetches the deployment's public keys, encrypts records under the public key as a hospital
 * would, evaluates with the relinearisation keys only, and signs every call with the CSP's own
 * key, read from the running CSP process's environment. Then the attacks on those calls.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { blindCluster } from "@/lib/hopcm/blind";
import { adjustedRandIndex } from "@/lib/hopcm/metrics";
import { makeBlobs } from "@/lib/hopcm/synthetic";
import type { Seal } from "@/lib/hopcm/encrypted/params";
import { blindCspTools, encryptBlindFeatures } from "@/lib/hopcm/encrypted/blind/keys";
import { BlindCsp } from "@/lib/hopcm/encrypted/blind/run";
import { driveBlindRun, type BlindOrder } from "@/lib/hopcm/encrypted/blind/session";
import { keyHolderClient } from "@/lib/parties/blind-client";
import { hexKey, signPartyToken, type PartyGrant } from "@/lib/parties/token";
import { sealWith } from "@/lib/parties/seal";
import { fromWireBody, toWireBody } from "@/lib/parties/wire";
import { expect, test } from "./fixtures/test";
import { environ } from "./fixtures/attacks";
import { e2eSql } from "./fixtures/database";
import { e2ePartySigningKey, e2ePids } from "./fixtures/parties";

test.describe.configure({ mode: "serial", timeout: 300_000 });

const authority = () => `http://localhost:${Number(process.env.E2E_PORT ?? 3100)}`;
/** The CSP's signing key, as its running process holds it. */
const cspKey = () => hexKey(environ(e2ePids().csp!).MEDSHARE_CSP_LOG_SIGNING_KEY, "MEDSHARE_CSP_LOG_SIGNING_KEY");

/**
 * A run as the authority starts one (lib/clustering/start.ts): its seed sealed under the
 * authority's KEK, bound to the run id, in authority.run_seeds. The key holder begins sessions
 * for such runs only. This test stands in for the start step with the running authority's own KEK.
 */
/** lib/authority/run-seed.ts `runSeedAad` (a server-only module). */
const runSeedAad = (runId: string) => `medshare-run-seed:${runId}`;

async function authorityStartedRun(): Promise<string> {
  const runId = randomUUID();
  const kek = Buffer.from(environ(e2ePids().web).MEDSHARE_KEK ?? "", "base64");
  expect(kek.length).toBe(32);
  const seed = Buffer.alloc(4);
  seed.writeUInt32BE(randomBytes(4).readUInt32BE(0));
  await e2eSql(`INSERT INTO authority.run_seeds (run_id, sealed_seed) VALUES ($1::uuid, $2)`, [runId, Buffer.from(sealWith(kek, seed, runSeedAad(runId)))]);
  return runId;
}

async function publicKeys() {
  const res = await fetch(`${authority()}/api/key-holder/keys`);
  expect(res.status).toBe(200);
  return fromWireBody<{ keyId: string; publicKey: Uint8Array; relinKeys: Uint8Array }>(
    new Uint8Array(await res.arrayBuffer()),
    res.headers.get("content-type"),
  );
}

/**
 * One raw call on the key holder: the answer's status and error. Each on a connection of its own:
 * the 9 MiB body below is refused (413) while the gateway drains it, and fetch's pool would hand
 * that socket to the next call.
 */
async function raw(call: string, input: unknown, token: string | null) {
  const { body, contentType } = toWireBody(input);
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = httpRequest(
      `${authority()}/api/key-holder/${call}`,
      { method: "POST", agent: false, headers: { "Content-Type": contentType, ...(token ? { Authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(typeof body === "string" ? body : Buffer.from(body));
  });
  let error: { message?: string; reason?: string } = {};
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
  } catch {
    // a wire body: a success
  }
  return { status, ...error };
}
/** node-seal's Node build (Playwright's loader wants the file's own name; lib/hopcm/encrypted/seal-node.ts is for the app and vitest). */
const loadSeal = async (): Promise<Seal> => ((await import("node-seal/throws_wasm_node_umd.js")) as unknown as { default: () => Promise<Seal> }).default();
const cspToken = (grant: PartyGrant, key = cspKey(), now = Date.now()) => signPartyToken(grant, key, now, undefined, "csp");

test("a blind run across the boundary: the key holder's session at the authority, the CSP's end here; labels as the reference's", async () => {
  const keys = await publicKeys();
  expect(keys.publicKey.length).toBeGreaterThan(100_000);
  const again = await publicKeys();
  expect(again.keyId).toBe(keys.keyId); // one key pair per deployment

  const seal = await loadSeal();
  const { X, n, p } = makeBlobs(300, 3, 2, { seed: 5, spread: 6 });
  const tensors = encryptBlindFeatures(seal, keys.publicKey, X, n, p);
  const cspSide = blindCspTools(seal, keys.relinKeys);
  const blocks = tensors.map((row) => row.map((b) => cspSide.io.load(b)));
  const runId = await authorityStartedRun();
  const wire = keyHolderClient({ url: authority(), signingKey: cspKey(), runId });
  const csp = new BlindCsp(cspSide.tools, blocks, n, 2, 3, wire);
  const seeds: number[][] = [];
  const orders = new Set<string>();
  const started = Date.now();
  const { labels, iterations } = await driveBlindRun(csp, wire, (order: BlindOrder) => {
    orders.add(order.kind);
    if (order.kind === "seeds") seeds.push(order.seeds);
  });
  console.log(
    `blind run across the boundary: ${n} x ${p}, k = 2, ${iterations} steps in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `${(csp.traffic.toKeyHolder / 2 ** 20).toFixed(0)} MB to the key holder, ${(csp.traffic.toCsp / 2 ** 20).toFixed(0)} MB back`,
  );
  // the CSP saw orders (seed indices, encrypted centers and scales) and never an aggregate
  expect([...orders].sort()).toEqual(["aggregate", "centers", "done", "nearest", "seeds"]);
  // the key holder's seeds: three draws, the best one kept; the reference with the same draws
  expect(seeds.length).toBe(3);
  const reference = blindCluster(X, n, p, { k: 2, seedIndices: seeds });
  // CKKS's noise may move the convergence test by a step near its threshold (seen: 19 against 20)
  expect(Math.abs(iterations - reference.iterations)).toBeLessThanOrEqual(2);
  expect(adjustedRandIndex(reference.labels, labels)).toBeGreaterThanOrEqual(0.98);
  // the authority's log says the run is over, and the CSP cannot begin it again for a second view
  expect(await e2eSql(`SELECT 1 FROM ledger.audit_entries WHERE action = 'CLUSTERING_KEY_HOLDER_FINISHED' AND subject_id = $1`, [runId])).toHaveLength(1);
  const beganAgain = await raw("begin", csp.start(), cspToken({ aud: "kh", op: "blind.begin", res: runId }));
  expect(beganAgain).toMatchObject({ status: 409 });
  expect(beganAgain.message).toMatch(/this run is over/);
  csp.dispose();
  for (const ct of blocks.flat()) ct.delete();
  cspSide.dispose();
});

test("attacks on the key holder's calls: no token, forged, the authority's, expired, replayed, another call's or run's, malformed, out of turn", async () => {
  const runId = await authorityStartedRun();
  const grant = (op: string, res = runId): PartyGrant => ({ aud: "kh", op, res });
  const start = { n: 100, p: 3, k: 2, counts: [100] };
  // the CSP cannot begin a run of its own: a run the authority never started is refused
  const unasked = await raw("begin", start, cspToken(grant("blind.begin", randomUUID())));
  expect(unasked).toMatchObject({ status: 409 });
  expect(unasked.message).toMatch(/started no clustering run with this id/);
  // the run begins with a good token
  const good = cspToken(grant("blind.begin"));
  expect((await raw("begin", start, good)).status).toBe(200);
  // replayed: the same token again
  expect(await raw("begin", start, good)).toMatchObject({ status: 401, reason: "replayed" });

  const sums = { out: [new Uint8Array(16), new Uint8Array(16)], maskSums: [0, 0], records: [100, 100], first: 0 };
  expect(await raw("answer", sums, null)).toMatchObject({ status: 401, reason: "malformed" });
  expect(await raw("answer", sums, cspToken(grant("blind.answer"), randomBytes(32)))).toMatchObject({ status: 401, reason: "bad-signature" });
  // the authority's own token key does not speak for the CSP
  expect(await raw("answer", sums, signPartyToken(grant("blind.answer"), e2ePartySigningKey()))).toMatchObject({ status: 401, reason: "bad-signature" });
  expect(await raw("answer", sums, cspToken(grant("blind.answer"), cspKey(), Date.now() - 10 * 60_000))).toMatchObject({ status: 401, reason: "expired" });
  expect(await raw("answer", sums, cspToken(grant("blind.refresh")))).toMatchObject({ status: 401, reason: "wrong-scope" });
  expect(await raw("answer", sums, cspToken({ aud: "csp", op: "blind.answer", res: runId }))).toMatchObject({ status: 401, reason: "wrong-audience" });
  // a token for another run reaches no session
  expect((await raw("answer", sums, cspToken(grant("blind.answer", randomUUID())))).status).toBe(409);
  expect((await raw("nonsense", sums, cspToken(grant("blind.answer")))).status).toBe(404);
  // malformed bodies: not the call's shape, not a wire body
  expect((await raw("answer", { out: "x" }, cspToken(grant("blind.answer")))).status).toBe(422);
  const bad = await fetch(`${authority()}/api/key-holder/answer`, {
    method: "POST",
    headers: { Authorization: `Bearer ${cspToken(grant("blind.answer"))}`, "Content-Type": "application/vnd.medshare.wire" },
    body: new Uint8Array([1, 2, 3]),
  });
  expect(bad.status).toBe(422);
  // the protocol's refusals: a sum over one slot would be a record; labels before the last step; sizes out of range
  const oneSlot = await raw("answer", { ...sums, records: [1, 1] }, cspToken(grant("blind.answer")));
  expect(oneSlot).toMatchObject({ status: 409 });
  expect(oneSlot.message).toMatch(/whole block/);
  expect((await raw("labels", { signs: [new Uint8Array(16)], k: 2, records: 100 }, cspToken(grant("blind.labels")))).status).toBe(409);
  expect((await raw("begin", { ...start, k: 500 }, cspToken(grant("blind.begin", randomUUID())))).status).toBe(409);
  // bytes that are not ciphertexts of the parameters are refused, not a 500
  expect((await raw("answer", sums, cspToken(grant("blind.answer")))).status).toBe(409);
  // an oversized body is refused before it is read
  const huge = await fetch(`${authority()}/api/key-holder/answer`, {
    method: "POST",
    headers: { Authorization: `Bearer ${cspToken(grant("blind.answer"))}`, "Content-Type": "application/vnd.medshare.wire" },
    body: new Uint8Array(9 * 2 ** 20),
  });
  expect(huge.status).toBe(413);
});

test("issue #12, attacks on the standard protocol's key holder calls: only the CSP's token for this run and call; a run nobody started; no session; nothing written", async () => {
  const runId = await authorityStartedRun();
  const grant = (op: string, res = runId): PartyGrant => ({ aud: "kh", op, res });
  const start = { k: 2, p: 3, keyId: randomUUID(), baseRunId: null, uploads: [{ n: 100, stats: null }] };
  expect(await raw("run-begin", start, null)).toMatchObject({ status: 401, reason: "malformed" });
  expect(await raw("run-begin", start, cspToken(grant("run.begin"), randomBytes(32)))).toMatchObject({ status: 401, reason: "bad-signature" });
  // the authority's own token key does not speak for the CSP; a blind call's token is not a standard call's
  expect(await raw("run-begin", start, signPartyToken(grant("run.begin"), e2ePartySigningKey()))).toMatchObject({ status: 401, reason: "bad-signature" });
  expect(await raw("run-begin", start, cspToken(grant("blind.begin")))).toMatchObject({ status: 401, reason: "wrong-scope" });
  expect(await raw("run-begin", start, cspToken(grant("run.begin"), cspKey(), Date.now() - 10 * 60_000))).toMatchObject({ status: 401, reason: "expired" });
  const once = cspToken(grant("run.answer"));
  const noSession = { session: "0".repeat(32), cts: [], first: 0 };
  expect((await raw("run-answer", noSession, once)).status).toBe(409); // no session for the run
  expect(await raw("run-answer", noSession, once)).toMatchObject({ status: 401, reason: "replayed" });
  // a run the authority never started: no session, no key unsealed
  const unasked = await raw("run-begin", start, cspToken(grant("run.begin", randomUUID())));
  expect(unasked).toMatchObject({ status: 409 });
  expect(unasked.message).toMatch(/started no clustering run with this id/);
  // a started run under a key the key holder does not have; sizes out of the protocol; bodies not the call's shape
  const unknownKey = await raw("run-begin", start, cspToken(grant("run.begin")));
  expect(unknownKey).toMatchObject({ status: 409 });
  expect(unknownKey.message).toMatch(/key the key holder does not have/);
  expect((await raw("run-begin", { ...start, k: 500 }, cspToken(grant("run.begin")))).status).toBe(409);
  expect((await raw("run-begin", { ...start, uploads: "x" }, cspToken(grant("run.begin")))).status).toBe(422);
  expect((await raw("run-abort", { session: "0".repeat(32), reason: 7 }, cspToken(grant("run.abort")))).status).toBe(422);
  expect((await raw("run-answer", { cts: [], first: 0 }, cspToken(grant("run.answer")))).status).toBe(422); // no session named
  // nothing of the run was written at the authority
  expect(
    await e2eSql(`SELECT 1 FROM authority.run_secrets WHERE run_id = $1::uuid UNION ALL SELECT 1 FROM authority.run_traces WHERE run_id = $1::uuid`, [runId]),
  ).toHaveLength(0);
});
