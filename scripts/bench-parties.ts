/**
 * What the parties split costs (issue #12): a 10,000-row upload and a request over it, through
 * the real services (scripts/services.ts, started by the real launcher in scripts/load/server.ts)
 * on a fresh embedded PostgreSQL. A benchmark, not a test.
 *   npm run bench:parties                  table
 *   options: --rows N (default 10000), --runs N (default 3)
 *
 * Node prepares what browsers would (encrypted, signed 512 KiB chunks; the researcher's signed
 * request) ahead of the clock. Timed, over HTTP through the portal as a browser does:
 *   upload   POST /api/uploads, every chunk PUT in order, POST complete (the portal calls the CSP per step)
 *   request  the researcher's cluster-less request: create, ABS verification and partial decryption
 *            (portal code in this process, calling the CSP's API over loopback), then
 *            GET /api/requests/:id/data through the portal (every record ciphertext, ~10k)
 */
import { parseArgs } from "node:util";
import os from "node:os";
import { encodeAbsSignature, absSign, encodeTransformKey, makeTransformKey, parsePolicy, policyAttributes } from "@/lib/abe";
import { currentVersions, vksFor } from "@/lib/authority/catalogue";
import { storeTransformKey } from "@/lib/authority/transform";
import { openRequest, submitRequestSignature } from "@/lib/portal/requests";
import { cspCall } from "@/lib/parties/csp-client";
import { generatePatients } from "@/lib/records/synthetic";
import { requestSignatureMessage, requestStatement } from "@/lib/requests/protocol";
import { makeCatalogue, personWithKeys } from "@/tests/helpers/authority";
import { prepareUpload } from "@/tests/helpers/upload";
import { signIn } from "./load/sign-in";
import { startLoadEnvironment } from "./load/server";

const { values } = parseArgs({ options: { rows: { type: "string", default: "10000" }, runs: { type: "string", default: "3" } } });
const rows = Number(values.rows);
const runs = Number(values.runs);

const FIXTURE_PASSWORD = "correct horse battery";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const env = await startLoadEnvironment({
  // More people and keys for this benchmark, made while the load environment seeds (both parties in-process).
  extraSeed: async (adminId) => {
    const ids = { ...(await makeCatalogue(adminId, "BEN", ["hospital", "researcher"])) };
    const staff = await personWithKeys(adminId, "HOSPITAL_STAFF", [ids["BEN.hospital"]]);
    const researcher = await personWithKeys(adminId, "RESEARCHER", [ids["BEN.researcher"]]);
    const { tk, secret } = makeTransformKey({ gid: researcher.user.gid, keys: researcher.keys });
    await storeTransformKey(researcher.user, encodeTransformKey(tk), researcher.versions);
    void secret;
    const patients = generatePatients({ n: rows, seed: 1 });
    const uploads = [];
    for (let r = 0; r < runs; r++) uploads.push(await prepareUpload(staff, "BEN.researcher", patients, "BEN.hospital", 512 * 1024, `bench ${r}`));
    return { staff, researcher, uploads };
  },
});
try {
  const { staff, researcher, uploads } = env.extra as {
    staff: Awaited<ReturnType<typeof personWithKeys>>;
    researcher: Awaited<ReturnType<typeof personWithKeys>>;
    uploads: Awaited<ReturnType<typeof prepareUpload>>[];
  };
  // Portal code in this process (the request step) calls the launched CSP, with the keys the launcher gave it.
  process.env.MEDSHARE_CSP_URL = env.cspUrl;
  const staffCookie = await signIn(env.baseUrl, { email: staff.user.email, password: FIXTURE_PASSWORD });
  const researcherCookie = await signIn(env.baseUrl, { email: researcher.user.email, password: FIXTURE_PASSWORD });
  const timings: Array<{ upload: number; request: number; data: number; direct: number; hop: number; bytes: number }> = [];
  for (const { chunks, body } of uploads) {
    const t0 = performance.now();
    const start = await fetch(`${env.baseUrl}/api/uploads`, {
      method: "POST",
      headers: { cookie: staffCookie, "content-type": "application/json", origin: env.baseUrl },
      body: JSON.stringify(body),
    });
    if (start.status !== 201) throw new Error(`start: ${start.status} ${await start.text()}`);
    const { id } = (await start.json()) as { id: string };
    for (const [i, c] of chunks.entries()) {
      const put = await fetch(`${env.baseUrl}/api/uploads/${id}/chunks/${i}`, {
        method: "PUT",
        headers: { cookie: staffCookie, "content-type": "application/octet-stream", origin: env.baseUrl },
        body: new Uint8Array(c),
      });
      if (!put.ok) throw new Error(`chunk ${i}: ${put.status} ${await put.text()}`);
    }
    const done = await fetch(`${env.baseUrl}/api/uploads/${id}/complete`, { method: "POST", headers: { cookie: staffCookie, origin: env.baseUrl } });
    if (!done.ok) throw new Error(`complete: ${done.status} ${await done.text()}`);
    const upload = performance.now() - t0;

    const t1 = performance.now();
    const req = await openRequest(researcher.user, { uploadIds: [id], purpose: "benchmark" });
    const statement = requestStatement(req, new Date().toISOString());
    const { versions } = await currentVersions(policyAttributes(parsePolicy(req.absPolicy)));
    const signature = absSign({
      message: requestSignatureMessage(statement),
      policy: req.absPolicy,
      gid: researcher.user.gid,
      keys: researcher.keys,
      vks: await vksFor(versions),
    });
    await submitRequestSignature(researcher.user, {
      requestId: req.requestId,
      token: req.token,
      signature: encodeAbsSignature(signature),
      signatureVersions: versions,
      signedAt: statement.signedAt,
    });
    const request = performance.now() - t1;

    const t2 = performance.now();
    const data = await fetch(`${env.baseUrl}/api/requests/${req.requestId}/data`, { headers: { cookie: researcherCookie, "x-request-token": req.token } });
    const text = await data.text();
    if (!data.ok) throw new Error(`data: ${data.status} ${text.slice(0, 200)}`);
    const dataMs = performance.now() - t2;
    // One small call on the CSP (token signed and checked, nonce spent, one read): the cost of a hop.
    const tc = performance.now();
    for (let i = 0; i < 20; i++) await cspCall("requests.get", { requestId: req.requestId }, { sub: researcher.user.id });
    const hop = (performance.now() - tc) / 20;
    // The same answer straight from the CSP (as the portal asks for it): what the second hop adds.
    const t3 = performance.now();
    await cspCall("requests.data", { requestId: req.requestId, token: req.token }, { sub: researcher.user.id });
    timings.push({ upload, request, data: dataMs, direct: performance.now() - t3, hop, bytes: text.length });
  }
  const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `\nbench:parties, ${rows} rows, ${uploads[0].chunks.length} chunks of <= 512 KiB, ${runs} runs (median), ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg()[0].toFixed(2)}`,
  );
  console.log("| step | median | runs |");
  console.log("|---|---|---|");
  console.log(
    `| upload: start + chunks + complete, through the portal | ${fmt(median(timings.map((t) => t.upload)))} | ${timings.map((t) => fmt(t.upload)).join(", ")} |`,
  );
  console.log(
    `| request: create + ABS verification + partial decryption | ${fmt(median(timings.map((t) => t.request)))} | ${timings.map((t) => fmt(t.request)).join(", ")} |`,
  );
  console.log(
    `| request data: GET /api/requests/:id/data (${(timings[0].bytes / 1024 ** 2).toFixed(1)} MiB) | ${fmt(median(timings.map((t) => t.data)))} | ${timings.map((t) => fmt(t.data)).join(", ")} |`,
  );
  console.log(
    `| of which the CSP: requests.data called directly, parsed | ${fmt(median(timings.map((t) => t.direct)))} | ${timings.map((t) => fmt(t.direct)).join(", ")} |`,
  );
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(
    `| one small call on the CSP (requests.get), mean of 20 | ${ms(median(timings.map((t) => t.hop)))} | ${timings.map((t) => ms(t.hop)).join(", ")} |`,
  );
} finally {
  await env.stop();
}
