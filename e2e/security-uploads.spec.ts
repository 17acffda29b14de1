/**
 * Issue #11, items 8 and 10 and the upload Low items: each attack performed against the real
 * server, as hospital staff with a genuine browser-signed start body (taken from the upload
 * wizard on its way out), or as a malicious CSP with database access.
 */
import { type APIRequestContext, type Page } from "@playwright/test";
import { expect, test } from "./fixtures/test";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { decodeAttributeVk, encodeEnvelope, encryptBatch, envelopeDigest, setupGlobal, type AttributeVk } from "@/lib/abe";
import { recordBytes } from "@/lib/records/encode";
import { packRecords } from "@/lib/uploads/protocol";
import { adminPage, approvedPerson, createCatalogue } from "./fixtures/admin";
import { e2eSql } from "./fixtures/database";
import { unlockGate, type Applicant } from "./fixtures/helpers";

test.describe.configure({ timeout: 300_000, mode: "serial" });

type StartBody = { uploadId: string; label: string; chunkCount: number; totalBytes: number; recordCount: number; [k: string]: unknown };

const sql = e2eSql;

let staff: { a: Applicant; page: Page };
let api: APIRequestContext;
let code = "";
let origin = "";
/** Genuine signed start bodies the server never saw (the wizard's start was held back). */
const held: StartBody[] = [];
/** A genuine upload started by the browser whose chunk and completion the test sends itself. */
let raced: { body: StartBody; chunk: Buffer } | null = null;

function headers(extra: Record<string, string> = {}) {
  return { origin, ...extra };
}

async function openWizard(page: Page, passphrase: string, file: string, policy: string) {
  await page.goto("/hospital/upload");
  await unlockGate(page, passphrase);
  await page.getByLabel(/Drop a CSV/).setInputFiles(file);
  await page.getByLabel("Policy", { exact: true }).fill(policy);
}

/** Lets the wizard encrypt and sign, and keeps its start body from the server. */
async function holdStart(page: Page, label: string): Promise<StartBody> {
  let body: StartBody | null = null;
  await page.route("**/api/uploads", async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    body = route.request().postDataJSON();
    await route.fulfill({ status: 503, json: { error: { message: "held back by the test" } } });
  });
  await page.getByLabel("Label").fill(label);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect.poll(() => body, { timeout: 60_000 }).not.toBeNull();
  await expect(page.getByText("held back by the test")).toBeVisible();
  await page.unroute("**/api/uploads");
  return body!;
}

/** Lets the wizard start an upload for real, and keeps its chunk and completion from the server. */
async function holdChunks(page: Page, label: string) {
  let body: StartBody | null = null;
  let chunk: Buffer | null = null;
  await page.route("**/api/uploads", async (route) => {
    if (route.request().method() === "POST") body = route.request().postDataJSON();
    await route.continue();
  });
  await page.route("**/api/uploads/*/chunks/*", async (route) => {
    chunk = route.request().postDataBuffer();
    await route.fulfill({ status: 200, json: { index: 0, duplicate: false } });
  });
  await page.route("**/api/uploads/*/complete", (route) => route.fulfill({ status: 503, json: { error: { message: "completion held back by the test" } } }));
  await page.getByLabel("Label").fill(label);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("completion held back by the test")).toBeVisible({ timeout: 60_000 });
  await page.unrouteAll();
  return { body: body! as StartBody, chunk: chunk! as Buffer };
}

test.beforeAll(async ({ browser, baseURL }) => {
  test.setTimeout(300_000); // registering, approving and four encryptions take minutes on a loaded machine
  origin = baseURL!;
  const admin = await adminPage(browser);
  code = await createCatalogue(admin, ["hospital", "researcher"]);
  staff = await approvedPerson(browser, admin, "Hospital staff", [`${code}.hospital`], "Bound");
  api = staff.page.request;
  const csv = test.info().outputPath("bounds.csv");
  writeFileSync(csv, "marker,value\nb1-40211,1.5\nb2-40212,2.5\n");
  await openWizard(staff.page, staff.a.passphrase, csv, `${code}.researcher`);
  for (const label of ["Held A", "Held C", "Held D"]) held.push(await holdStart(staff.page, `${label} ${code}`));
  raced = await holdChunks(staff.page, `Raced ${code}`);
});

const uploadsLabelled = async (label: string) =>
  await sql<{ id: string; status: string }>(`SELECT id::text, status::text FROM csp.uploads WHERE label = $1`, [label]);
const chunksOf = async (id: string) =>
  (await sql<{ n: string; bytes: string | null }>(`SELECT count(*)::text AS n, sum(size)::text AS bytes FROM csp.upload_chunks WHERE upload_id = $1`, [id]))[0];
// Upload events are the CSP's: its own log.
const auditOf = async (action: string, id: string) =>
  Number((await sql<{ n: string }>(`SELECT count(*)::text AS n FROM csp_ledger.audit_entries WHERE action = $1 AND subject_id = $2`, [action, id]))[0].n);

test("sizes are signed: a start body with a larger totalBytes or chunkCount is refused", async () => {
  const [a] = held;
  for (const tampered of [
    { ...a, totalBytes: 20 * 1024 * 1024 },
    { ...a, chunkCount: a.chunkCount + 40 },
    { ...a, label: `${a.label} (renamed)` },
  ]) {
    const res = await api.post("/api/uploads", { data: tampered, headers: headers() });
    expect(res.status()).toBe(422);
    expect((await res.json()).error.message).toMatch(/signature does not verify/);
  }
  expect(await uploadsLabelled(a.label)).toEqual([]);
});

test("chunks beyond the signed bounds are refused and nothing is stored; odd indexes are not read as 0", async () => {
  const [a] = held;
  const started = await api.post("/api/uploads", { data: a, headers: headers() });
  expect(started.status()).toBe(201);
  const id = a.uploadId;
  expect((await started.json()).id).toBe(id);

  // more bytes than the hospital signed for, in one chunk
  const big = await api.put(`/api/uploads/${id}/chunks/0`, {
    data: randomBytes(a.totalBytes + 1),
    headers: headers({ "content-type": "application/octet-stream" }),
  });
  expect(big.status()).toBe(422);
  expect((await big.json()).error.message).toMatch(/past the \d+ bytes/);
  // an index past the signed chunk count
  const past = await api.put(`/api/uploads/${id}/chunks/${a.chunkCount}`, {
    data: randomBytes(16),
    headers: headers({ "content-type": "application/octet-stream" }),
  });
  expect(past.status()).toBe(422);
  // indexes that Number() would read as 0
  for (const index of ["0x0", "%20", "1e0", "-0", "00", "+0", "0.0", "%25"]) {
    const res = await api.put(`/api/uploads/${id}/chunks/${index}`, {
      data: randomBytes(16),
      headers: headers({ "content-type": "application/octet-stream" }),
    });
    expect(res.status(), index).toBe(422);
  }
  // a chunk over the per-chunk limit (1 MiB)
  const stream = await api.put(`/api/uploads/${id}/chunks/0`, {
    data: randomBytes(2 * 1024 * 1024),
    headers: headers({ "content-type": "application/octet-stream" }),
  });
  expect(stream.status()).toBeGreaterThanOrEqual(400);
  expect(stream.status()).toBeLessThan(500);
  expect(await chunksOf(id)).toEqual({ n: "0", bytes: null });
  expect((await sql<{ received_bytes: number }>(`SELECT received_bytes FROM csp.uploads WHERE id = $1`, [id]))[0].received_bytes).toBe(0);
});

test("a replayed start body is refused with 409 and stores no second dataset", async () => {
  const { body } = raced!;
  const res = await api.post("/api/uploads", { data: body, headers: headers() });
  expect(res.status()).toBe(409);
  expect((await res.json()).error.message).toMatch(/already started/);
  expect(await uploadsLabelled(body.label)).toHaveLength(1);
});

test("six parallel identical chunk PUTs and four parallel completes: no 5xx, exactly one dataset", async () => {
  const { body, chunk } = raced!;
  const id = body.uploadId;
  const puts = await Promise.all(
    Array.from({ length: 6 }, () => api.put(`/api/uploads/${id}/chunks/0`, { data: chunk, headers: headers({ "content-type": "application/octet-stream" }) })),
  );
  expect(puts.map((r) => r.status())).toEqual([200, 200, 200, 200, 200, 200]);
  expect(await chunksOf(id)).toEqual({ n: "1", bytes: String(chunk.length) });
  // different bytes for a stored index
  const other = Buffer.from(chunk);
  other[other.length - 1] ^= 1;
  expect((await api.put(`/api/uploads/${id}/chunks/0`, { data: other, headers: headers({ "content-type": "application/octet-stream" }) })).status()).toBe(409);

  const completes = await Promise.all(Array.from({ length: 4 }, () => api.post(`/api/uploads/${id}/complete`, { headers: headers() })));
  for (const r of completes) expect([200, 409]).toContain(r.status());
  expect(completes.filter((r) => r.status() === 200).length).toBeGreaterThanOrEqual(1);
  expect(await uploadsLabelled(body.label)).toEqual([{ id, status: "STORED" }]);
  expect(Number((await sql<{ n: string }>(`SELECT count(*)::text AS n FROM csp.record_ciphertexts WHERE upload_id = $1`, [id]))[0].n)).toBe(body.recordCount);
  expect(await auditOf("UPLOAD_STORED", id)).toBe(1);
});

test("an organisation over its storage quota cannot start another upload; the refused start can be retried later", async () => {
  const { body: stored } = raced!;
  const [, c] = held;
  const [{ total_bytes: original }] = await sql<{ total_bytes: number }>(`SELECT total_bytes FROM csp.uploads WHERE id = $1`, [stored.uploadId]);
  // the organisation's stored data now fills the default 2 GiB quota
  await sql(`UPDATE csp.uploads SET total_bytes = 2147483647 WHERE id = $1`, [stored.uploadId]);
  try {
    const res = await api.post("/api/uploads", { data: c, headers: headers() });
    expect(res.status()).toBe(422);
    expect((await res.json()).error.message).toMatch(/storage quota/);
    expect(await uploadsLabelled(c.label)).toEqual([]);
  } finally {
    await sql(`UPDATE csp.uploads SET total_bytes = $2 WHERE id = $1`, [stored.uploadId, original]);
  }
  expect((await api.post("/api/uploads", { data: c, headers: headers() })).status()).toBe(201);
});

test("the owner sees an unfinished upload on /hospital and discards it after confirming; the discard is audited", async () => {
  const [, c] = held;
  const page = staff.page;
  await page.goto("/hospital");
  await expect(page.getByTestId(`unfinished-${c.label}`)).toContainText(`0 of ${c.chunkCount} chunks arrived`);
  await page.getByRole("button", { name: `Discard ${c.label}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Discard upload" }).click();
  await expect(page.getByTestId(`upload-${c.label}`)).toHaveCount(0);
  expect(await uploadsLabelled(c.label)).toEqual([]);
  expect(await auditOf("UPLOAD_DISCARDED", c.uploadId)).toBe(1);
  // and the API's own DELETE is audited too (a second discard finds nothing)
  expect((await api.delete(`/api/uploads/${c.uploadId}`, { headers: headers() })).status()).toBe(404);
});

test("an unfinished upload past its expiry is removed with its chunks at the next sweep", async () => {
  const [a] = held;
  await sql(`UPDATE csp.uploads SET expires_at = now() - interval '1 minute' WHERE id = $1`, [a.uploadId]);
  const list = await api.get("/api/uploads", { headers: headers() });
  expect(list.status()).toBe(200);
  expect((await list.json()).uploads.map((u: { id: string }) => u.id)).not.toContain(a.uploadId);
  expect(await uploadsLabelled(a.label)).toEqual([]);
  expect(await chunksOf(a.uploadId)).toEqual({ n: "0", bytes: null });
  expect(await auditOf("UPLOAD_EXPIRED", a.uploadId)).toBe(1);
  expect(
    (await api.put(`/api/uploads/${a.uploadId}/chunks/0`, { data: randomBytes(8), headers: headers({ "content-type": "application/octet-stream" }) })).status(),
  ).toBe(404);
  // an expired start cannot be replayed into a new upload either
  expect((await api.post("/api/uploads", { data: a, headers: headers() })).status()).toBe(409);
});

test("NUL bytes in a label are a 422, not a 500", async () => {
  const [, , d] = held;
  for (const body of [
    { ...d, label: "nul\u0000label" },
    { ...d, signaturePolicy: `${code}.hospital\u0000` },
    { ...d, keyVersions: { "x\u0000": 1 } },
  ]) {
    const res = await api.post("/api/uploads", { data: body, headers: headers() });
    expect(res.status()).toBe(422);
  }
  expect(await uploadsLabelled(d.label)).toEqual([]);
});

// ---- item 10: a CSP plants or swaps what a researcher decrypts ----

const pp = setupGlobal();

/** The malicious CSP encrypts rows of its own choosing under the upload's (satisfiable) policy. */
async function plantedEnvelope(policy: string, rows: Array<Record<string, string | number>>) {
  const attrs = await sql<{ name: string; vk: Buffer }>(
    `SELECT a.name, v.vk FROM authority.attributes a JOIN authority.attribute_key_versions v ON v.attribute_id = a.id AND v.version = a.current_version WHERE a.name = ANY($1)`,
    [[policy]],
  );
  const vks = new Map<string, AttributeVk>(attrs.map((a) => [a.name, decodeAttributeVk(new Uint8Array(a.vk))]));
  const columns = Object.keys(rows[0]);
  return encryptBatch(
    pp,
    vks,
    policy,
    rows.map((row, i) => ({ id: `planted-${i}`, data: recordBytes(row, columns) })),
  );
}

async function uploadThroughWizard(page: Page, passphrase: string, file: string, policy: string, label: string, again = false) {
  await openWizard(page, passphrase, file, policy);
  // the same file a second time, on purpose: the wizard warns and asks first (issue #17 item 4)
  if (again) await page.getByRole("checkbox", { name: "Upload it again anyway" }).check();
  await page.getByLabel("Label").fill(label);
  await page.getByRole("button", { name: "Encrypt and upload" }).click();
  await expect(page.getByText("Upload stored")).toBeVisible({ timeout: 120_000 });
}

test("planted and swapped envelopes: the researcher's browser shows a security alert, no rows, no export, and the failure is audited", async ({ browser }) => {
  const admin = await adminPage(browser);
  const policy = `${code}.researcher`;
  const small = test.info().outputPath("genuine.csv");
  writeFileSync(small, "marker,value\ng1-51001,1.25\ng2-51002,2.5\n");
  const other = test.info().outputPath("other.csv");
  writeFileSync(other, "marker,value\no1-62001,7.75\no2-62002,8.5\n");
  for (const label of ["Planted", "Swapped", "Source"])
    await uploadThroughWizard(staff.page, staff.a.passphrase, label === "Source" ? other : small, policy, `${label} ${code}`, label === "Swapped");
  const [planted] = await uploadsLabelled(`Planted ${code}`);
  const [swapped] = await uploadsLabelled(`Swapped ${code}`);
  const [source] = await uploadsLabelled(`Source ${code}`);

  // 1. planted: a valid envelope (public integrity check passes) under a policy the researcher satisfies, rows of the CSP's choosing, the hospital's signature left as it was
  const { envelope, records } = await plantedEnvelope(policy, [
    { marker: "planted-99311", value: 1 },
    { marker: "planted-99312", value: 2 },
  ]);
  const chunks = packRecords(records);
  await sql(
    `UPDATE csp.uploads SET envelope = $2, envelope_digest = $3, records_root = $4, record_count = $5, total_bytes = $6, chunk_count = $7 WHERE id = $1`,
    [
      planted.id,
      Buffer.from(encodeEnvelope(envelope)),
      Buffer.from(envelopeDigest(envelope)),
      Buffer.from(envelope.recordsRoot),
      records.length,
      chunks.reduce((n, c) => n + c.length, 0),
      chunks.length,
    ],
  );
  await sql(`DELETE FROM csp.record_ciphertexts WHERE upload_id = $1`, [planted.id]);
  for (const r of records)
    await sql(`INSERT INTO csp.record_ciphertexts (upload_id, index, record_id, ct, leaf_hash) VALUES ($1, $2, $3, $4, $5)`, [
      planted.id,
      r.index,
      r.id,
      Buffer.from(r.ct),
      Buffer.alloc(32),
    ]);

  // 2. swapped: another genuine upload's envelope, signature and records served as "Swapped"
  await sql(
    `UPDATE csp.uploads AS t SET envelope = s.envelope, envelope_digest = s.envelope_digest, records_root = s.records_root, record_count = s.record_count,
       total_bytes = s.total_bytes, chunk_count = s.chunk_count, signature = s.signature, signature_policy = s.signature_policy,
       signature_versions = s.signature_versions, signer_gid = s.signer_gid FROM csp.uploads AS s WHERE t.id = $1 AND s.id = $2`,
    [swapped.id, source.id],
  );
  await sql(`DELETE FROM csp.record_ciphertexts WHERE upload_id = $1`, [swapped.id]);
  await sql(
    `INSERT INTO csp.record_ciphertexts (upload_id, index, record_id, ct, leaf_hash) SELECT $1, index, record_id, ct, leaf_hash FROM csp.record_ciphertexts WHERE upload_id = $2`,
    [swapped.id, source.id],
  );

  const res = await approvedPerson(browser, admin, "Institute researcher", [policy]);
  await res.page.getByRole("button", { name: "Create transform key" }).click();
  await expect(res.page.getByTestId("tk-status")).toContainText("Stored with the authority");
  const page = res.page;
  await page.goto("/research");
  await page.getByRole("checkbox", { name: `Choose Planted ${code}` }).check();
  await page.getByRole("checkbox", { name: `Choose Swapped ${code}` }).check();
  await page.getByLabel("Purpose of use").fill("Checking that the cloud cannot plant records");
  await page.getByLabel("I accept the terms of use of the hospitals whose records I request").check();
  await page.getByRole("button", { name: "Request, sign and decrypt" }).click();
  await unlockGate(page, res.a.passphrase);
  await expect(page.getByText(`Security alert: Planted ${code} failed verification`)).toBeVisible({ timeout: 90_000 });
  await expect(page.getByText(`Security alert: Swapped ${code} failed verification`)).toBeVisible();
  await expect(page.getByTestId("request-outcome")).toContainText("SOURCE NOT VERIFIED");
  for (const marker of ["planted-99311", "o1-62001", "g1-51001"]) await expect(page.getByText(marker)).toHaveCount(0);
  await expect(page.getByTestId("records-table")).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Export CSV" })).toHaveCount(0);
  for (const id of [planted.id, swapped.id])
    await expect
      .poll(async () =>
        Number(
          (
            await sql<{ n: string }>(
              `SELECT count(*)::text AS n FROM ledger.audit_entries WHERE action = 'DECRYPTION_VERIFICATION_FAILED' AND data->>'uploadId' = $1`,
              [id],
            )
          )[0].n,
        ),
      )
      .toBe(1);
});
