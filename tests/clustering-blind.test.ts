// The blind protocol's tensors at the CSP (issue #14 in the portal): stored under their own
// parameters' tag, checked as fresh ciphertexts of those parameters, without column statistics;
// runs put them with each other only. The run itself (the worker calling the key
// holder's service) is e2e/blind-portal.spec.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blindPublicKeys } from "@/lib/authority/blind-key-holder";
import { ckksPublicKeys } from "@/lib/authority/ckks";
import { nodeBlindContext, nodeCkks } from "@/lib/ckks/node";
import { startClusteringRun } from "@/lib/clustering/portal";
import { stopQueue } from "@/lib/clustering/queue";
import { beginFeatures, completeFeatures, putFeatureRun, putFeatureStats } from "@/lib/csp/features";
import { db } from "@/lib/db/client";
import { featureNames, fitFeatures, statsOfSchema, type RawRecord } from "@/lib/hopcm";
import { encryptColumnStats, encryptFeatureBlocks, maxRecordNorm } from "@/lib/hopcm/encrypted";
import { BLIND_PARAMS_ID, encryptBlindFeatures } from "@/lib/hopcm/encrypted/blind/keys";
import { ciphertextBytes } from "@/lib/hopcm/encrypted/blind/run";
import { parseCsvDataset } from "@/lib/records";
import { encodeFeatureBatch, planFeatureRuns } from "@/lib/uploads/feature-batch";
import { makeCatalogue, personWithKeys } from "./helpers/authority";
import { withFreshDatabase } from "./helpers/db";
import { uploadRows } from "./helpers/upload";
import { makeUser } from "./helpers/users";

withFreshDatabase();

const rows = parseCsvDataset(readFileSync(path.resolve("../shared/datasets/wdbc.csv"), "utf8")).dataset!.rows.slice(0, 60);

describe("the blind protocol's tensors at the CSP", () => {
  let admin: { id: string };
  let staff: Awaited<ReturnType<typeof personWithKeys>>;
  const fm = fitFeatures(rows as RawRecord[], { label: "diagnosis", strictNumeric: true });
  const columns = featureNames(fm.schema);

  beforeAll(async () => {
    admin = await makeUser("AUTHORITY_ADMIN");
    const ids = { ...(await makeCatalogue(admin.id, "SRC", ["hospital"])), ...(await makeCatalogue(admin.id, "HA1", ["researcher"])) };
    staff = await personWithKeys(admin.id, "HOSPITAL_STAFF", [ids["SRC.hospital"]]);
  });
  afterAll(async () => {
    await stopQueue();
  });

  /** An upload of the 60 records with its blind tensors stored, as the browser sends them. */
  async function blindUpload() {
    const org = staff.user.organisation.id;
    const uploadId = await uploadRows(staff, "HA1.researcher", rows, "SRC.hospital");
    const { keyId, publicKey } = await blindPublicKeys();
    const blocks = encryptBlindFeatures((await nodeCkks()).seal, publicKey, fm.X, fm.n, fm.p);
    await beginFeatures({ uploadId, organisationId: org, input: { paramsId: BLIND_PARAMS_ID, keyId, n: fm.n, p: fm.p, columns, blocks: 1 } });
    return { uploadId, org, row: blocks[0] };
  }

  it("checks each ciphertext against the blind parameters, takes no statistics, and completes without them", async () => {
    const { uploadId, org, row } = await blindUpload();
    const put = (first: number, cts: Uint8Array[]) => putFeatureRun({ uploadId, organisationId: org, block: 0, batch: encodeFeatureBatch({ first, cts }) });
    // a ciphertext of the standard protocol's parameters is not one of the blind protocol's
    const { publicKeys } = await ckksPublicKeys();
    const standard = encryptFeatureBlocks(await nodeCkks(), publicKeys.publicKey, fm.X, fm.n, fm.p).blocks[0];
    await expect(put(0, [standard[0]])).rejects.toThrow(/Ciphertext rejected/);
    // a blind ciphertext below the top level (what a fresh encryption gives) is refused too
    const ctx = await nodeBlindContext();
    const io = ciphertextBytes(ctx);
    const low = io.load(row[0]);
    ctx.evaluator.cipherModSwitchToNext(low, low);
    await expect(put(0, [io.save(low)])).rejects.toThrow(/ciphertext at level 3, expected 4/);
    low.delete();
    // truncated bytes
    await expect(put(0, [row[0].subarray(0, 4000)])).rejects.toThrow(/Ciphertext rejected/);
    expect(await db().featureCiphertext.count({ where: { uploadId } })).toBe(0);
    // the blind protocol's key holder reads no column statistics: none are taken
    await expect(putFeatureStats({ uploadId, organisationId: org, ct: row[0] })).rejects.toThrow(/carry no column statistics/);
    // 30 blind ciphertexts are 19.7 MB: runs under the body limit, as the browser sends them
    for (const run of planFeatureRuns(row.map((ct) => ct.length)))
      expect(await put(run.first, row.slice(run.first, run.first + run.count))).toMatchObject({ duplicate: false });
    expect(await completeFeatures({ uploadId, organisationId: org, actorId: staff.user.id })).toEqual({ stored: fm.p });
    expect(await db().uploadFeatures.findUniqueOrThrow({ where: { uploadId } })).toMatchObject({ paramsId: BLIND_PARAMS_ID, statsCt: null, status: "STORED" });
  });

  it("blind uploads are clustered with each other only: not beside an upload of the standard protocol", async () => {
    const stored = async () => {
      const { uploadId, org, row } = await blindUpload();
      for (const { first, count } of planFeatureRuns(row.map((ct) => ct.length)))
        await putFeatureRun({ uploadId, organisationId: org, block: 0, batch: encodeFeatureBatch({ first, cts: row.slice(first, first + count) }) });
      await completeFeatures({ uploadId, organisationId: org, actorId: staff.user.id });
      return uploadId;
    };
    const [a, b] = [await stored(), await stored()];
    // an upload with the standard protocol's tensors and statistics
    const org = staff.user.organisation.id;
    const standard = await uploadRows(staff, "HA1.researcher", rows, "SRC.hospital");
    const { keyId, publicKeys } = await ckksPublicKeys();
    const ckks = await nodeCkks();
    const tensors = encryptFeatureBlocks(ckks, publicKeys.publicKey, fm.X, fm.n, fm.p);
    await beginFeatures({ uploadId: standard, organisationId: org, input: { paramsId: publicKeys.paramsId, keyId, n: fm.n, p: fm.p, columns, blocks: 1 } });
    const row = tensors.blocks[0];
    for (const { first, count } of planFeatureRuns(row.map((ct) => ct.length)))
      await putFeatureRun({ uploadId: standard, organisationId: org, block: 0, batch: encodeFeatureBatch({ first, cts: row.slice(first, first + count) }) });
    const stats = encryptColumnStats(ckks, publicKeys.publicKey, {
      ...statsOfSchema(fm.schema, fm.n, fm.report.constant),
      maxNorm: maxRecordNorm(fm.X, fm.n, fm.p),
    });
    await putFeatureStats({ uploadId: standard, organisationId: org, ct: stats });
    expect(await completeFeatures({ uploadId: standard, organisationId: org, actorId: staff.user.id })).toEqual({ stored: fm.p });

    await expect(startClusteringRun(admin.id, { uploadIds: [a, standard], k: 2 }, { enqueue: false })).rejects.toThrow(/clustered with each other only/);
    await expect(startClusteringRun(admin.id, { uploadIds: [standard, b], k: 2 }, { enqueue: false })).rejects.toThrow(/clustered with each other only/);
    // refused by the CSP after the authority sealed a seed: the seed is removed again and the refusal logged
    expect(await db().auditEntry.count({ where: { action: "CLUSTERING_RUN_REFUSED" } })).toBe(2);
    const { runId } = await startClusteringRun(admin.id, { uploadIds: [a, b], k: 2 }, { enqueue: false });
    expect(await db().clusteringRun.findUniqueOrThrow({ where: { id: runId } })).toMatchObject({ status: "QUEUED", n: 120, p: fm.p });
  });
});
