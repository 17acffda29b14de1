// Encrypted clustering end to end on a real PostgreSQL: a hospital uploads WDBC records (ABE-OD)
// and their CKKS-encrypted feature tensors; the authority starts a run; the job clusters on
// ciphertexts and stores labels (CSP) and sealed centers (authority): no per-record value besides the label.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ckksPublicKeys } from "@/lib/authority/ckks";
import { openRunSecrets, runTrace } from "@/lib/authority/clustering";
import { openRunSeed, runSeedAad } from "@/lib/authority/run-seed";
import { unseal } from "@/lib/authority/seal";
import { nodeCkks } from "@/lib/ckks/node";
import { beginFeatures, completeFeatures, putFeatureRun, putFeatureStats } from "@/lib/csp/features";
import { encodeFeatureBatch } from "@/lib/uploads/feature-batch";
import { db } from "@/lib/db/client";
import { adjustedRandIndex, featureNames, fitFeatures, hopcm, statsOfSchema, type RawRecord } from "@/lib/hopcm";
import { encryptColumnStats, encryptFeatureBlocks, maxRecordNorm, type EncryptedFeatures } from "@/lib/hopcm/encrypted";
import { processRun, runOptions } from "@/lib/clustering/process";
import { inProcessKeyHolder } from "./helpers/key-holder";
import { randomBytes, randomUUID } from "node:crypto";
import { ZodError } from "zod";
import { runKeyHolderCall } from "@/lib/authority/run-key-holder";
import type { RunOrder } from "@/lib/parties/run-kh-wire";
import { TypicalitySummary, summarizeTypicality } from "@/lib/clustering/typicality";
import { recoverRuns } from "@/lib/clustering/recover";
import { hasLiveJob, stopQueue } from "@/lib/clustering/queue";
import { verifyChain } from "@/lib/ledger/verify";
import { cancelRun, clusterMembers, listClusters, listRuns, runDetail, runProgress, startClusteringRun } from "@/lib/clustering/portal";
import { parseCsvDataset } from "@/lib/records";
import { makeCatalogue, personWithKeys } from "./helpers/authority";
import { rawSql, withFreshDatabase } from "./helpers/db";
import { MEDSHARE_SCHEMAS, scanDatabase } from "./helpers/scan";
import { uploadRows } from "./helpers/upload";
import { makeUser } from "./helpers/users";

const database = withFreshDatabase();

const csvText = readFileSync(path.resolve("../shared/datasets/wdbc.csv"), "utf8");
const rows = parseCsvDataset(csvText).dataset!.rows;
const K = 2;

type Staff = Awaited<ReturnType<typeof personWithKeys>>;

describe("clustering on encrypted features", () => {
  let admin: { id: string };
  let staff: Staff;
  let uploadId: string;
  let X: Float64Array;
  let n: number;
  let p: number;
  let columns: string[];
  let encrypted: EncryptedFeatures;
  let stats: Uint8Array;
  let runId: string;

  beforeAll(async () => {
    admin = await makeUser("AUTHORITY_ADMIN");
    const ids = { ...(await makeCatalogue(admin.id, "SRC", ["hospital"])), ...(await makeCatalogue(admin.id, "HA1", ["researcher"])) };
    staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
    uploadId = await uploadRows(staff, "HA1.researcher", rows, "SRC.hospital");
    // What the browser does: z-score the numeric columns (label excluded), encrypt under the authority's public key.
    const fm = fitFeatures(rows as RawRecord[], { label: "diagnosis", strictNumeric: true });
    ({ X, n, p } = fm);
    columns = featureNames(fm.schema);
    const { publicKeys } = await ckksPublicKeys();
    encrypted = encryptFeatureBlocks(await nodeCkks(), publicKeys.publicKey, X, n, p);
    stats = encryptColumnStats(await nodeCkks(), publicKeys.publicKey, { ...statsOfSchema(fm.schema, n, fm.report.constant), maxNorm: maxRecordNorm(X, n, p) });
  });

  afterAll(async () => {
    await stopQueue();
  });

  it("stores an upload's feature ciphertexts by runs of a block: checked, whole or nothing, resumable, complete only when every one is there", async () => {
    const org = staff.user.organisation.id;
    const { keyId, publicKeys } = await ckksPublicKeys();
    expect([n, p, encrypted.blocks.length]).toEqual([569, 30, 1]);
    const begin = { paramsId: publicKeys.paramsId, keyId, n, p, columns, blocks: encrypted.blocks.length };
    await expect(beginFeatures({ uploadId, organisationId: org, input: { ...begin, n: 568 } })).rejects.toThrow(/does not match the upload's 569 records/);
    await expect(beginFeatures({ uploadId, organisationId: "00000000-0000-0000-0000-000000000000", input: begin })).rejects.toThrow(/No such upload/);
    expect(await beginFeatures({ uploadId, organisationId: org, input: begin })).toMatchObject({ resumed: false });
    expect(await beginFeatures({ uploadId, organisationId: org, input: begin })).toMatchObject({ resumed: true, received: [[]] });
    const row = encrypted.blocks[0];
    const put = (first: number, cts: Uint8Array[], block = 0) =>
      putFeatureRun({ uploadId, organisationId: org, block, batch: encodeFeatureBatch({ first, cts }) });
    const stored = () => db().featureCiphertext.count({ where: { uploadId } });
    await expect(put(0, [row[0]], 1)).rejects.toThrow(/Block 1 is out of range/);
    await expect(put(p - 1, row.slice(0, 2))).rejects.toThrow(/Features 29..30 are out of range: this upload has 30/);
    await expect(
      putFeatureRun({ uploadId, organisationId: org, block: 0, batch: encodeFeatureBatch({ first: 0, cts: [row[0]] }).subarray(0, 5000) }),
    ).rejects.toThrow(/Feature batch rejected: cut short inside ciphertext 1 of 1/);
    // each ciphertext is checked as before; one bad ciphertext stores nothing of its run
    await expect(put(0, [row[0], row[1].subarray(0, 5000), row[2]])).rejects.toThrow(/Ciphertext rejected/);
    expect(await stored()).toBe(0);
    // runs of a block (the browser splits a block over 8 MiB: 30 fresh ciphertexts are 11.8 MB)
    expect(await put(0, row.slice(0, 21))).toMatchObject({ first: 0, count: 21, duplicate: false });
    expect(await put(21, row.slice(21, p - 1))).toMatchObject({ first: 21, count: p - 22, duplicate: false });
    expect(await put(0, row.slice(0, 21))).toMatchObject({ duplicate: true });
    // a resume is told what is there
    const { received } = await beginFeatures({ uploadId, organisationId: org, input: begin });
    expect(received).toEqual([Array.from({ length: p - 1 }, (_, f) => f)]);
    // different bytes for a stored ciphertext: a conflict, and the run's new ciphertext is not stored either
    await expect(put(p - 2, [row[0], row[p - 1]])).rejects.toThrow(/\(0, 28\) was already received with different content/);
    expect(await stored()).toBe(p - 1);
    expect(await completeFeatures({ uploadId, organisationId: org, actorId: staff.user.id })).toEqual({ missing: [{ block: 0, feature: p - 1 }, "stats"] });
    await expect(startClusteringRun(admin.id, { uploadIds: [uploadId], k: K }, { enqueue: false })).rejects.toThrow(/No stored encrypted features/);
    // a run overlapping stored ciphertexts with the same bytes stores the rest
    expect(await put(p - 2, row.slice(p - 2))).toMatchObject({ count: 2, duplicate: false });
    expect(await completeFeatures({ uploadId, organisationId: org, actorId: staff.user.id })).toEqual({ missing: ["stats"] });
    // the column statistics: a fresh ciphertext only the key holder can read
    await expect(putFeatureStats({ uploadId, organisationId: org, ct: row[0].subarray(0, 100) })).rejects.toThrow(/Ciphertext rejected/);
    expect(await putFeatureStats({ uploadId, organisationId: org, ct: stats })).toEqual({ duplicate: false });
    expect(await putFeatureStats({ uploadId, organisationId: org, ct: stats })).toEqual({ duplicate: true });
    await expect(putFeatureStats({ uploadId, organisationId: org, ct: row[0] })).rejects.toThrow(/different content/);
    expect(await completeFeatures({ uploadId, organisationId: org, actorId: staff.user.id })).toEqual({ stored: p });
    expect(await db().cspAuditEntry.count({ where: { action: "UPLOAD_FEATURES_STORED", subjectId: uploadId } })).toBe(1);
  });

  it("a run (queued through pg-boss, processed here) gives the plaintext reference's labels and centers", async () => {
    const started = Date.now();
    ({ runId } = await startClusteringRun(admin.id, { uploadIds: [uploadId], k: K }));
    expect(await hasLiveJob(runId)).toBe(true);
    expect(await db().auditEntry.count({ where: { action: "CLUSTERING_RUN_STARTED", subjectId: runId } })).toBe(1);
    const outcome = await processRun(runId, { keyHolder: inProcessKeyHolder });
    const seconds = (Date.now() - started) / 1000;
    expect(outcome.status).toBe("SUCCEEDED");
    if (outcome.status !== "SUCCEEDED") return;
    // reproducible from the run's sealed seed: the plaintext coordinator with it gives the same labels
    const seed = await openRunSeed(runId);
    expect(seed).toEqual(expect.any(Number));
    const reference = hopcm(X, n, p, runOptions(K, seed!));
    const stored = await db().runLabel.findMany({ where: { runId }, orderBy: { recordIndex: "asc" } });
    expect(stored.map((r) => r.label)).toEqual(Array.from(reference.labels));
    const secrets = (await openRunSecrets(runId))!;
    let diff = 0;
    for (let i = 0; i < K * p; i++) diff = Math.max(diff, Math.abs(secrets.centers[i] - reference.centers[i]));
    expect(diff).toBeLessThan(1e-6);
    expect(secrets).not.toHaveProperty("distances");
    const truth = rows.map((r) => String(r.diagnosis));
    expect(adjustedRandIndex(truth, Array.from(reference.labels))).toBeGreaterThanOrEqual(0.66);
    expect(
      adjustedRandIndex(
        truth,
        stored.map((r) => r.label),
      ),
    ).toBeGreaterThanOrEqual(0.66);
    const run = await db().clusteringRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run).toMatchObject({ status: "SUCCEEDED", progress: 1, iteration: reference.iterations, cancelRequested: false, error: null });
    // the trace covers the possibilistic phase; the FCM initialisation starts over at each k-means++ draw
    // (the key holder's, in the authority's table: the CSP keeps no objective)
    expect(await runTrace(runId)).toHaveLength(reference.pcmIterations);
    expect(run).not.toHaveProperty("objective");
    expect(run.cspMs).toBeGreaterThan(0);
    expect(run.keyHolderMs).toBeGreaterThan(0);
    // the CSP keeps each record's label only; typicality as per-cluster aggregates (bins, sums)
    expect(Object.keys(stored[0]).sort()).toEqual(["label", "recordIndex", "runId", "uploadId"]);
    const summary = TypicalitySummary.parse(run.typicality);
    const expected = summarizeTypicality(reference.labels, reference.typicality, K);
    for (let i = 0; i < K; i++) {
      expect(summary.bins[i].reduce((a, b) => a + b, 0)).toBe(stored.filter((r) => r.label === i).length);
      expect(Math.abs(summary.sums[i] - expected.sums[i])).toBeLessThan(1e-2);
    }
    expect(await db().cspAuditEntry.count({ where: { action: "CLUSTERING_RUN_COMPLETED", subjectId: runId } })).toBe(1);
    console.log(
      `WDBC encrypted run: ${reference.iterations} iterations, ${seconds.toFixed(1)} s wall (CSP ${(run.cspMs / 1000).toFixed(1)} s, key holder ${(run.keyHolderMs / 1000).toFixed(1)} s)`,
    );
  });

  it("portal views: runs, run detail (admin), clusters and their members (researchers, no plaintext)", async () => {
    const runs = await listRuns();
    expect(runs.find((r) => r.id === runId)).toMatchObject({ status: "SUCCEEDED", k: K, n });
    expect(await runProgress(runId)).toMatchObject({ status: "SUCCEEDED", progress: 1, objective: expect.any(Array) });
    const detail = await runDetail(runId);
    expect(detail.sizes.reduce((a, b) => a + b, 0)).toBe(n);
    expect(detail.projection).toHaveLength(K);
    expect(detail.organisations).toEqual([staff.user.organisation.name]);
    expect(detail.policies).toEqual(["HA1.researcher"]);
    const clusters = await listClusters();
    const mine = clusters.filter((c) => c.runId === runId);
    expect(mine).toHaveLength(K);
    expect(mine.reduce((t, c) => t + c.size, 0)).toBe(n);
    for (const c of mine) expect(c.typicality.mean).toBeGreaterThan(0);
    for (const c of mine) expect(c.typicality.mean).toBeLessThanOrEqual(1);
    expect(detail.typicalityHistogram.map((h) => h.bins.reduce((a, b) => a + b.count, 0))).toEqual(detail.sizes);
    const members = await clusterMembers(runId, mine[0].cluster);
    expect(members).toHaveLength(mine[0].size);
    expect(members[0]).toEqual({ uploadId, recordIndex: expect.any(Number) });
  });

  it("issue #14: after a run the CSP's tables hold each record's label and no per-record number; the key holder keeps aggregates only", async () => {
    // Before: csp.run_labels kept every record's typicality to every center (K x n numbers, rounded
    // to 1e-4), which is each record's distance to each center up to one constant per cluster; and
    // authority.run_secrets kept the K x n distances. Count every fractional number in every
    // numeric, array and JSON column of the CSP's schemas (runs, labels, uploads, its log).
    const { rows: columns } = await rawSql<{ table_schema: string; table_name: string; column_name: string }>(
      database.url(),
      `SELECT table_schema, table_name, column_name FROM information_schema.columns
       WHERE table_schema IN ('csp', 'csp_ledger') AND data_type IN ('double precision', 'real', 'numeric', 'json', 'jsonb', 'ARRAY')`,
    );
    expect(columns.map((c) => `${c.table_name}.${c.column_name}`)).toContain("clustering_runs.typicality");
    let fractional = 0;
    const found: string[] = [];
    for (const c of columns) {
      const { rows: values } = await rawSql<{ v: string | null }>(
        database.url(),
        `SELECT "${c.column_name}"::text AS v FROM "${c.table_schema}"."${c.table_name}"`,
      );
      const count = values.reduce((t, r) => t + (r.v?.match(/-?\d+\.\d+/g)?.length ?? 0), 0);
      if (count > 0) found.push(`${c.table_schema}.${c.table_name}.${c.column_name}: ${count}`);
      fractional += count;
    }
    // aggregates only: per cluster a typicality sum, per run its progress and times, nowhere near one per record
    expect(fractional, found.join("; ")).toBeLessThan(n / 10);
    const { rows: labelColumns } = await rawSql<{ column_name: string }>(
      database.url(),
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'csp' AND table_name = 'run_labels' ORDER BY column_name`,
    );
    expect(labelColumns.map((c) => c.column_name)).toEqual(["label", "record_index", "run_id", "upload_id"]);
    // The key holder's sealed knowledge of the run: centers, mass, units (K x p, K, 2p numbers), no K x n distances.
    const sealed = await db().runSecret.findUniqueOrThrow({ where: { runId } });
    const bytes = Object.values(sealed).reduce<number>((t, v) => t + (v instanceof Uint8Array ? v.length : 0), 0);
    expect(bytes).toBeLessThan(8 * (K * p + K + 2 * p) + 3 * 64);
    expect(bytes).toBeLessThan(8 * K * n);
  });

  it("no plaintext feature value in the CSP's tables, the queue's, or anywhere else", async () => {
    const needles: Array<{ name: string; bytes?: Uint8Array; text?: string }> = [];
    const f64 = (v: number) => new Uint8Array(Float64Array.of(v).buffer);
    const numeric = Object.keys(rows[0]).filter((c) => c !== "diagnosis");
    // Raw CSV values are short ("13.54"), so as text they are looked for in context (a CSV line,
    // a JSON field) or when long enough not to occur by chance in timestamps and hashes.
    for (let j = 0; j < 40; j++) {
      const r = rows[j];
      needles.push({
        name: `row ${j} as CSV`,
        text: numeric
          .slice(0, 3)
          .map((c) => String(r[c]))
          .join(","),
      });
      needles.push({ name: `row ${j} as JSON`, text: `"${numeric[0]}":${r[numeric[0]]}` });
      for (const c of numeric) {
        const v = r[c] as number;
        if (j < 20 && String(v).replace(/[^0-9]/g, "").length >= 6) needles.push({ name: `raw ${c}[${j}] text`, text: String(v) });
        if (j < 5) needles.push({ name: `raw ${c}[${j}] float64`, bytes: f64(v) });
      }
    }
    // (each needle is looked for in ~25 MB of ciphertexts: a sample keeps the scan to seconds)
    for (let j = 0; j < 5; j++)
      for (let l = 0; l < 10; l++) {
        const z = X[j * p + l];
        needles.push(
          { name: `z ${j},${l} float64`, bytes: f64(z) },
          { name: `z ${j},${l} text`, text: z.toFixed(6) },
          { name: `z ${j},${l} full`, text: String(z) },
        );
      }
    // The key holder's knowledge (centers) is sealed: not in the clear anywhere either.
    const { centers } = (await openRunSecrets(runId))!;
    for (const [i, c] of centers.entries()) needles.push({ name: `center ${i} float64`, bytes: f64(c) }, { name: `center ${i} text`, text: c.toFixed(6) });
    expect(needles.length).toBeGreaterThan(200);
    expect(await scanDatabase(database.url(), needles, [...MEDSHARE_SCHEMAS, "pgboss"])).toEqual([]);
    const pgboss = await rawSql(database.url(), `SELECT count(*)::int AS jobs FROM pgboss.job WHERE name = 'clustering'`);
    expect(pgboss.rows[0].jobs).toBeGreaterThan(0); // the scan did look at real jobs
  });

  it("attack (issue #11, 13): the CSP cannot know the k-means++ seed — per run from the CSPRNG, sealed, in no CSP table nor job", async () => {
    // Before: every run used seed 42, so the CSP knew the key holder's first D^2 draw.
    const second = await startClusteringRun(admin.id, { uploadIds: [uploadId], k: K }); // same data, queued through pg-boss
    const seeds = [(await openRunSeed(runId))!, (await openRunSeed(second.runId))!];
    expect(seeds[0]).not.toBe(seeds[1]);
    expect(seeds).not.toContain(42);
    // sealed under the KEK and bound to its run: a sealed seed moved to another run does not open
    const row = await db().runSeed.findUniqueOrThrow({ where: { runId } });
    expect(() => unseal(row.sealedSeed, runSeedAad(second.runId))).toThrow();
    // Nowhere in the clear: not in the CSP's tables (runs, labels), the job payloads, the audit
    // log or the authority's. Text forms only: 4 raw bytes would turn up by chance in 25 MB of ciphertexts.
    const needles = seeds.flatMap((s, i) => {
      const be = Buffer.alloc(4);
      be.writeUInt32BE(s);
      return [
        { name: `seed ${i} decimal`, text: String(s) },
        { name: `seed ${i} hex BE`, text: be.toString("hex") },
        { name: `seed ${i} hex LE`, text: Buffer.from(be).reverse().toString("hex") },
      ];
    });
    expect(await scanDatabase(database.url(), needles, [...MEDSHARE_SCHEMAS, "pgboss"])).toEqual([]);
    const jobs = await rawSql(database.url(), `SELECT data FROM pgboss.job WHERE name = 'clustering' AND data->>'runId' = $1`, [second.runId]);
    expect(jobs.rows.map((r) => Object.keys(r.data as object))).toEqual([["runId"]]); // the scan saw this run's job
    await cancelRun({ adminId: admin.id, runId: second.runId });
  });

  it("cancels a queued run at once and a running run at its next iteration", async () => {
    const queued = await startClusteringRun(admin.id, { uploadIds: [uploadId], k: K }, { enqueue: false });
    expect(await cancelRun({ adminId: admin.id, runId: queued.runId })).toEqual({ status: "CANCELLED" });
    expect(await processRun(queued.runId, { keyHolder: inProcessKeyHolder })).toMatchObject({ status: "SKIPPED" });

    const running = await startClusteringRun(admin.id, { uploadIds: [uploadId], k: K }, { enqueue: false });
    const outcome = processRun(running.runId, { keyHolder: inProcessKeyHolder });
    for (let i = 0; i < 600; i++) {
      const r = await db().clusteringRun.findUniqueOrThrow({ where: { id: running.runId }, select: { iteration: true } });
      if (r.iteration >= 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await cancelRun({ adminId: admin.id, runId: running.runId })).toEqual({ status: "CANCELLING" });
    expect(await outcome).toEqual({ status: "CANCELLED" });
    const run = await db().clusteringRun.findUniqueOrThrow({ where: { id: running.runId } });
    expect(run.status).toBe("CANCELLED");
    expect(run.iteration).toBeLessThan(10);
    expect(await db().runLabel.count({ where: { runId: running.runId } })).toBe(0);
    expect(await db().runSecret.count({ where: { runId: running.runId } })).toBe(0);
    await expect(cancelRun({ adminId: admin.id, runId: running.runId })).rejects.toThrow(/queued or running/);
    // the worker told the key holder: its session (and the unsealed secret key's tools) went at once
    await expect(runKeyHolderCall("run-answer", running.runId, { session: "0".repeat(32), cts: [], first: 0 })).rejects.toThrow(/no session for this run/);
  });

  it("attacks on the key holder's session (issue #12): a run nobody started, answers out of turn, too many or not ciphertexts", async () => {
    const { keyId } = await ckksPublicKeys();
    const start = { k: K, p, keyId, baseRunId: null, uploads: [{ n, stats: null }] };
    // a run the authority never started: no session, no key unsealed
    await expect(runKeyHolderCall("run-begin", randomUUID(), start)).rejects.toThrow(/started no clustering run with this id/);
    const { runId: started } = await startClusteringRun(admin.id, { uploadIds: [uploadId], k: K }, { enqueue: false });
    // sizes outside the protocol
    await expect(runKeyHolderCall("run-begin", started, { ...start, k: 1 })).rejects.toThrow(/2 to 20 clusters/);
    await expect(runKeyHolderCall("run-begin", started, { ...start, keyId: randomUUID() })).rejects.toThrow(/key the key holder does not have/);
    // a real first order: the seeding's record selector (ciphertexts only, nothing in the clear)
    type Begun = { session: string; order: RunOrder };
    const first = (await runKeyHolderCall("run-begin", started, start)) as Begun;
    expect(first.order).toMatchObject({ kind: "select", upload: 0 });
    expect(first.session).toMatch(/^[0-9a-f]{32}$/);
    const answer = (session: string, cts: Uint8Array[], from = 0) => runKeyHolderCall("run-answer", started, { session, cts, first: from });
    // the selection makes no ciphertexts: an answer with one is refused, and the session is not moved by it
    await expect(answer(first.session, [new Uint8Array(8)])).rejects.toThrow(/the answer has more/);
    // begun again (the run taken over by another worker): a new session; the earlier attempt's calls neither feed nor stop it
    const again = (await runKeyHolderCall("run-begin", started, start)) as Begun;
    expect(again.order.kind).toBe("select");
    expect(again.session).not.toBe(first.session);
    await expect(answer(first.session, [])).rejects.toThrow(/another attempt of this run began since/);
    await expect(runKeyHolderCall("run-abort", started, { session: first.session, reason: "stale" })).rejects.toThrow(/another attempt/);
    const distances = (await answer(again.session, [])) as RunOrder;
    expect(distances).toMatchObject({ kind: "pointDistances", upload: 0, offset: null });
    // a part out of order, then bytes that are not ciphertexts: refused, and the session ends
    await expect(answer(again.session, [], 3)).rejects.toThrow(/out of order/);
    await expect(answer(again.session, [randomBytes(64)])).rejects.toThrow(/not ciphertexts/);
    await expect(answer(again.session, [])).rejects.toThrow(/no session for this run/);
    // malformed calls are the wire schema's 422s
    await expect(runKeyHolderCall("run-begin", started, { ...start, uploads: [] })).rejects.toThrow(ZodError);
    await cancelRun({ adminId: admin.id, runId: started });
  });

  it("a run whose data went missing fails with a reason", async () => {
    const { runId: bad } = await startClusteringRun(admin.id, { uploadIds: [uploadId], k: K }, { enqueue: false });
    await rawSql(database.url(), `UPDATE csp.upload_features SET ciphertext_count = ciphertext_count + 1 WHERE upload_id = $1`, [uploadId]);
    try {
      expect(await processRun(bad, { keyHolder: inProcessKeyHolder })).toMatchObject({
        status: "FAILED",
        error: expect.stringMatching(/30 of 31 feature ciphertexts/),
      });
    } finally {
      await rawSql(database.url(), `UPDATE csp.upload_features SET ciphertext_count = ciphertext_count - 1 WHERE upload_id = $1`, [uploadId]);
    }
    expect(await db().clusteringRun.findUniqueOrThrow({ where: { id: bad } })).toMatchObject({ status: "FAILED" });
    expect(await db().cspAuditEntry.count({ where: { action: "CLUSTERING_RUN_FAILED", subjectId: bad } })).toBe(1);
  });

  it("after a restart, runs left RUNNING (stale heartbeat) or QUEUED without a job are queued again", async () => {
    const { runId: orphan } = await startClusteringRun(admin.id, { uploadIds: [uploadId], k: K }, { enqueue: false });
    const { runId: dead } = await startClusteringRun(admin.id, { uploadIds: [uploadId], k: K }, { enqueue: false });
    await rawSql(
      database.url(),
      `UPDATE csp.clustering_runs SET status = 'RUNNING', attempts = 1, iteration = 7, heartbeat_at = now() - interval '1 hour' WHERE id = $1`,
      [dead],
    );
    const report = await recoverRuns();
    expect(report.resent).toContain(orphan);
    expect(report.requeued).toEqual([dead]);
    expect(await hasLiveJob(orphan)).toBe(true);
    expect(await hasLiveJob(dead)).toBe(true);
    expect(await db().clusteringRun.findUniqueOrThrow({ where: { id: dead } })).toMatchObject({ status: "QUEUED", iteration: 0 });
    expect(await db().cspAuditEntry.count({ where: { action: "CLUSTERING_RUN_REQUEUED", subjectId: dead } })).toBe(1);
    // a third interruption is the last: FAILED, with the reason
    await rawSql(database.url(), `UPDATE csp.clustering_runs SET status = 'RUNNING', attempts = 3, heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [
      dead,
    ]);
    expect((await recoverRuns()).failed).toEqual([dead]);
    expect(await db().clusteringRun.findUniqueOrThrow({ where: { id: dead } })).toMatchObject({
      status: "FAILED",
      error: expect.stringMatching(/interrupted by a restart/),
    });
    for (const id of [orphan]) await cancelRun({ adminId: admin.id, runId: id });
  });

  it("a run names its current pg-boss job: taken over from a dead worker, its job id changes and the old job does not count", async () => {
    const { runId: taken } = await startClusteringRun(admin.id, { uploadIds: [uploadId], k: K }); // queued through pg-boss
    const jobOf = async () => (await db().clusteringRun.findUniqueOrThrow({ where: { id: taken }, select: { jobId: true } })).jobId;
    const first = await jobOf();
    expect(first).not.toBeNull();
    expect(await hasLiveJob(taken)).toBe(true);
    // its worker took the job and died: the run is RUNNING with a stale heartbeat, the old job still in pg-boss
    await rawSql(database.url(), `UPDATE csp.clustering_runs SET status = 'RUNNING', attempts = 1, heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [
      taken,
    ]);
    expect((await recoverRuns()).requeued).toContain(taken);
    const second = await jobOf();
    expect(second).not.toBeNull();
    expect(second).not.toBe(first);
    // Without its new job the run has no live job, though the dead worker's is still waiting in pg-boss.
    await rawSql(database.url(), `DELETE FROM pgboss.job WHERE id = $1`, [second]);
    expect((await rawSql(database.url(), `SELECT 1 FROM pgboss.job WHERE id = $1 AND state::text IN ('created', 'active')`, [first])).rowCount).toBe(1);
    expect(await hasLiveJob(taken)).toBe(false);
    await cancelRun({ adminId: admin.id, runId: taken });
  });

  it("the audit chain is intact", async () => {
    expect(await verifyChain(db())).toMatchObject({ ok: true });
  });
});
