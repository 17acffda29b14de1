/**
 * The CSP's clustering scales out on its pg-boss queue (issue #12): two runs over the WDBC data,
 * processed by one worker process, then two more by two worker processes, on a fresh embedded
 * PostgreSQL. Each worker is the real scripts/worker.ts, connected as the clustering role, with
 * no KEK: it reaches the key holder (served over HTTP from this process, as the authority's
 * process serves it) for every run. A benchmark, not a test.
 *   npm run bench:workers                  table
 *   options: --rows N (first N WDBC rows, default all 569), --runs N (runs per phase, default 2)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ckksPublicKeys } from "@/lib/authority/ckks";
import { nodeCkks } from "@/lib/ckks/node";
import { beginFeatures, completeFeatures, putFeatureRun, putFeatureStats } from "@/lib/csp/features";
import { encodeFeatureBatch, planFeatureRuns } from "@/lib/uploads/feature-batch";
import { provisionFreshDatabase } from "@/lib/db/bootstrap";
import { db } from "@/lib/db/client";
import { startEmbeddedPostgres } from "@/lib/db/embedded";
import { featureNames, fitFeatures, statsOfSchema, type RawRecord } from "@/lib/hopcm";
import { encryptColumnStats, encryptFeatureBlocks, maxRecordNorm } from "@/lib/hopcm/encrypted";
import { stopQueue } from "@/lib/clustering/queue";
import { startClusteringRun } from "@/lib/clustering/portal";
import { parseCsvDataset } from "@/lib/records";
import { makeCatalogue, personWithKeys } from "@/tests/helpers/authority";
import { startCspService } from "@/tests/helpers/csp-service";
import { startKeyHolderService } from "@/tests/helpers/key-holder";
import { startAaServices } from "@/tests/helpers/aa-service";
import { uploadRows } from "@/tests/helpers/upload";
import { makeUser } from "@/tests/helpers/users";

const { values } = parseArgs({ options: { rows: { type: "string", default: "569" }, runs: { type: "string", default: "2" } } });
const runsPerPhase = Number(values.runs);
const rows = parseCsvDataset(readFileSync(path.resolve("../shared/datasets/wdbc.csv"), "utf8")).dataset!.rows.slice(0, Number(values.rows));

const dir = path.resolve(".data", `bench-workers-${process.pid}`);
const pg = await startEmbeddedPostgres({ dir, password: randomBytes(18).toString("base64url") });
const workers: ChildProcess[] = [];
const csp = { close: async () => {} };
const keyHolder = { close: async () => {} };
const aaServices = { close: async () => {} };
try {
  const { ownerUrl, urls } = await provisionFreshDatabase(pg.url);
  // The seed runs both parties' code here (the CSP's API over loopback), as the owner.
  Object.assign(process.env, { DATABASE_URL: ownerUrl, MEDSHARE_KEK: randomBytes(32).toString("base64"), MEDSHARE_LEDGER_DIR: path.join(dir, "ledger") });
  csp.close = (await startCspService()).close;
  keyHolder.close = (await startKeyHolderService()).close;
  aaServices.close = (await startAaServices(["HA1", "SRC"], pg.url)).close; // the attribute authorities the uploader's and researcher's attributes come from
  const admin = await makeUser("AUTHORITY_ADMIN");
  const ids = { ...(await makeCatalogue(admin.id, "SRC", ["hospital"])), ...(await makeCatalogue(admin.id, "HA1", ["researcher"])) };
  const staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
  const uploadId = await uploadRows(staff, "HA1.researcher", rows, "SRC.hospital");
  // What the hospital's browser does for clustering: z-score, CKKS-encrypt under the key holder's public key.
  const fm = fitFeatures(rows as RawRecord[], { label: "diagnosis", strictNumeric: true });
  const { keyId, publicKeys } = await ckksPublicKeys();
  const ckks = await nodeCkks();
  const encrypted = encryptFeatureBlocks(ckks, publicKeys.publicKey, fm.X, fm.n, fm.p);
  const org = staff.user.organisation.id;
  await beginFeatures({
    uploadId,
    organisationId: org,
    input: { paramsId: publicKeys.paramsId, keyId, n: fm.n, p: fm.p, columns: featureNames(fm.schema), blocks: encrypted.blocks.length },
  });
  for (const [b, block] of encrypted.blocks.entries())
    for (const { first, count } of planFeatureRuns(block.map((ct) => ct.length)))
      await putFeatureRun({ uploadId, organisationId: org, block: b, batch: encodeFeatureBatch({ first, cts: block.slice(first, first + count) }) });
  await putFeatureStats({
    uploadId,
    organisationId: org,
    ct: encryptColumnStats(ckks, publicKeys.publicKey, { ...statsOfSchema(fm.schema, fm.n, fm.report.constant), maxNorm: maxRecordNorm(fm.X, fm.n, fm.p) }),
  });
  await completeFeatures({ uploadId, organisationId: org, actorId: staff.user.id });

  const { MEDSHARE_KEK: _kek, ...withoutKek } = process.env;
  const workerEnv = { ...withoutKek, DATABASE_URL: urls.clustering, MEDSHARE_WORKER: "on", NEXT_TELEMETRY_DISABLED: "1" };
  const startWorker = () => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/worker.ts"], {
      stdio: ["ignore", "ignore", "inherit"],
      env: workerEnv,
    });
    workers.push(child);
    return child;
  };
  const phase = async (workerCount: number) => {
    const started = Array.from({ length: workerCount }, startWorker);
    const t0 = performance.now();
    const runIds: string[] = [];
    for (let r = 0; r < runsPerPhase; r++) runIds.push((await startClusteringRun(admin.id, { uploadIds: [uploadId], k: 2 })).runId);
    for (;;) {
      const runs = await db().clusteringRun.findMany({ where: { id: { in: runIds } }, select: { status: true, error: true } });
      const failed = runs.find((r) => r.status === "FAILED" || r.status === "CANCELLED");
      if (failed) throw new Error(`a run ended ${failed.status}: ${failed.error}`);
      if (runs.every((r) => r.status === "SUCCEEDED")) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - t0) / 1000;
    const done = await db().clusteringRun.findMany({
      where: { id: { in: runIds } },
      select: { createdAt: true, startedAt: true, finishedAt: true, iteration: true, cspMs: true, keyHolderMs: true },
    });
    for (const r of done)
      console.log(
        `  ${workerCount} worker(s): run started ${((r.startedAt!.getTime() - r.createdAt.getTime()) / 1000).toFixed(1)} s after it was queued, ` +
          `took ${((r.finishedAt!.getTime() - r.startedAt!.getTime()) / 1000).toFixed(1)} s (${r.iteration} iterations; CSP ${(r.cspMs / 1000).toFixed(1)} s, key holder ${(r.keyHolderMs / 1000).toFixed(1)} s)`,
      );
    for (const w of started) w.kill("SIGTERM");
    await Promise.all(started.map((w) => new Promise((r) => (w.exitCode === null ? w.once("exit", r) : r(null)))));
    return seconds;
  };
  const one = await phase(1);
  const two = await phase(2);
  console.log(
    `\nbench:workers, WDBC ${rows.length} x ${fm.p}, k = 2, ${runsPerPhase} runs per phase, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg()[0].toFixed(2)}`,
  );
  console.log("| clustering workers | wall time for the runs | speed-up |");
  console.log("|---|---|---|");
  console.log(`| 1 | ${one.toFixed(1)} s | 1.00x |`);
  console.log(`| 2 | ${two.toFixed(1)} s | ${(one / two).toFixed(2)}x |`);
} finally {
  for (const w of workers) if (w.exitCode === null) w.kill("SIGKILL");
  await csp.close();
  await keyHolder.close();
  await aaServices.close();
  await stopQueue().catch(() => {});
  await db()
    .$disconnect()
    .catch(() => {});
  await pg.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
