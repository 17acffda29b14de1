import "server-only";
import { createHash } from "node:crypto";
import { blocksOf, expectCiphertext, LEVEL, type EncryptedFeatures } from "@/lib/hopcm/encrypted";
import { nodeBlindContext, nodeCkks } from "@/lib/ckks/node";
import { BLIND_PARAMS_ID, BLIND_SCALE } from "@/lib/hopcm/encrypted/blind/keys";
import { BLIND_PROTOCOL } from "@/lib/hopcm/encrypted/blind/context";
import { ciphertextBytes as blindBytes } from "@/lib/hopcm/encrypted/blind/run";
import { db } from "@/lib/db/client";
import { rawTransaction } from "@/lib/db/raw";
import { AppError } from "@/lib/errors";
import { appendCspAudit } from "@/lib/ledger/append";
import { StringList, fromJson } from "@/lib/db/json";
import { decodeFeatureBatch, FeatureBatchError, type FeatureRun } from "@/lib/uploads/feature-batch";

/**
 * The CSP's store of feature tensors: per upload, column-major blocks of CKKS ciphertexts the
 * hospital's browser encrypted under the key holder's public key (lib/hopcm/encrypted
 * `encryptFeatureBlocks`, or, for the blind protocol, blind/keys.ts `encryptBlindFeatures`,
 * tagged BLIND_PARAMS_ID, without column statistics). The CSP keeps column names (public
 * schema) and sizes, never values.
 * Flow: beginFeatures -> putFeatureRun per block (or run of a block), resumable -> completeFeatures.
 */
export const FEATURE_LIMITS = {
  maxFeatures: 256,
  maxColumnNameLength: 200,
  /** A fresh public-key ciphertext at N = 8192, 3 primes, no compression: ~393 KB. */
  maxCiphertextBytes: 1 << 20,
} as const;

export type BeginFeatures = {
  paramsId: string;
  /** The authority CKKS key the browser encrypted under (from GET /api/ckks/public-key). */
  keyId: string;
  n: number;
  p: number;
  columns: string[];
  blocks: number;
};

/**
 * Room for a loaded machine: a block's run is megabytes written in one statement, and Prisma's
 * default (2 s to start, 5 s to finish) ended such transactions under load (P2028, answered 500).
 */
const TX = { maxWait: 10_000, timeout: 60_000 } as const;

function reject(reason: string): never {
  throw new AppError("VALIDATION", `Features rejected: ${reason}.`);
}

async function ownedUpload(uploadId: string, organisationId: string) {
  const upload = await db().upload.findUnique({ where: { id: uploadId }, select: { id: true, organisationId: true, recordCount: true } });
  if (!upload || upload.organisationId !== organisationId) throw new AppError("NOT_FOUND", "No such upload.");
  return upload;
}

async function receivingFeatures(uploadId: string, organisationId: string) {
  await ownedUpload(uploadId, organisationId);
  const features = await db().uploadFeatures.findUnique({ where: { uploadId } });
  if (!features) throw new AppError("INVALID_STATE", "Begin the features of this upload first.");
  if (features.status !== "RECEIVING") throw new AppError("INVALID_STATE", "This upload's features are already complete.");
  return features;
}

/**
 * Declares an upload's feature tensors: one row per record of the upload (n must be its record
 * count, so labels map back to records), p named columns, ceil(n / slots) blocks. Calling it
 * again with the same shape resumes (`received`: the features each block already has); a
 * different shape restarts (drops what was received).
 */
export async function beginFeatures({ uploadId, organisationId, input }: { uploadId: string; organisationId: string; input: BeginFeatures }) {
  const upload = await ownedUpload(uploadId, organisationId);
  const ckks = await nodeCkks();
  const { n, p, columns, blocks } = input;
  if (input.paramsId !== ckks.id && input.paramsId !== BLIND_PARAMS_ID) reject("they were encrypted under other CKKS parameters");
  if (n !== upload.recordCount) reject(`n = ${n} does not match the upload's ${upload.recordCount} records`);
  if (!Number.isInteger(p) || p < 1 || p > FEATURE_LIMITS.maxFeatures) reject(`p must be 1..${FEATURE_LIMITS.maxFeatures}`);
  if (columns.length !== p) reject(`${columns.length} column names for p = ${p}`);
  if (columns.some((c) => typeof c !== "string" || c.length === 0 || c.length > FEATURE_LIMITS.maxColumnNameLength))
    reject("a column name is empty or too long");
  if (new Set(columns).size !== p) reject("column names must be distinct");
  if (blocks !== blocksOf(n, ckks.slots).length) reject(`${n} records make ${blocksOf(n, ckks.slots).length} blocks, not ${blocks}`);
  const shape = { paramsId: input.paramsId, ckksKeyId: input.keyId, n, p, columns, blockCount: blocks, ciphertextCount: blocks * p };
  return db().$transaction(async (tx) => {
    const existing = await tx.uploadFeatures.findUnique({ where: { uploadId } });
    if (existing?.status === "STORED") throw new AppError("INVALID_STATE", "This upload's features are already stored.");
    const same =
      existing &&
      existing.paramsId === shape.paramsId &&
      existing.ckksKeyId === shape.ckksKeyId &&
      existing.n === n &&
      existing.p === p &&
      existing.blockCount === blocks &&
      JSON.stringify(existing.columns) === JSON.stringify(columns);
    if (existing && !same) await tx.uploadFeatures.delete({ where: { uploadId } });
    if (!same) await tx.uploadFeatures.create({ data: { uploadId, ...shape } });
    // What a resume need not send again: the features already stored, per block.
    const received: number[][] = Array.from({ length: blocks }, () => []);
    if (same)
      for (const c of await tx.featureCiphertext.findMany({
        where: { uploadId },
        select: { block: true, feature: true },
        orderBy: [{ block: "asc" }, { feature: "asc" }],
      }))
        received[c.block]?.push(c.feature);
    return { uploadId, blocks, p, resumed: Boolean(same), received };
  }, TX);
}

/**
 * Stores a run of one block's ciphertexts (features `first` .. `first + count - 1`, encoded by
 * lib/uploads/feature-batch.ts): each must load under the protocol's parameters as a fresh
 * feature ciphertext (top level, scale Delta), as before, and the run is stored in one INSERT,
 * whole or not at all. Sending the same bytes again is harmless (resume after a dropped
 * connection); different bytes for a stored ciphertext are a conflict and store nothing.
 */
export async function putFeatureRun({
  uploadId,
  organisationId,
  block,
  batch,
}: {
  uploadId: string;
  organisationId: string;
  block: number;
  batch: Uint8Array;
}) {
  const features = await receivingFeatures(uploadId, organisationId);
  if (!Number.isInteger(block) || block < 0 || block >= features.blockCount) throw new AppError("VALIDATION", `Block ${block} is out of range.`);
  let run: FeatureRun;
  try {
    run = decodeFeatureBatch(batch);
  } catch (error) {
    if (error instanceof FeatureBatchError) throw new AppError("VALIDATION", `Feature batch rejected: ${error.message}.`);
    throw error;
  }
  const { first, cts } = run;
  if (first + cts.length > features.p)
    throw new AppError("VALIDATION", `Features ${first}..${first + cts.length - 1} are out of range: this upload has ${features.p}.`);
  for (const [i, ct] of cts.entries()) await checkFreshCiphertext(ct, `feature ciphertext (${block}, ${first + i})`, features.paramsId);
  const rows = cts.map((ct, i) => ({
    feature: first + i,
    ct: Buffer.from(ct.buffer, ct.byteOffset, ct.byteLength),
    sha256: createHash("sha256").update(ct).digest("hex"),
  }));
  return rawTransaction(
    async (client) => {
      // ON CONFLICT: a ciphertext already there (a resent run, or a parallel retry) is kept as it
      // is; then every one of the run must hold these bytes, or the whole run is undone. One bound
      // parameter per ciphertext: node-postgres sends it in binary (lib/db/raw.ts).
      const values = rows.map((_, i) => `($1::uuid, $2::int, $${3 + i * 3}::int, $${4 + i * 3}::bytea, $${5 + i * 3}::text)`).join(", ");
      const { rowCount } = await client.query(
        `INSERT INTO csp.feature_ciphertexts (upload_id, block, feature, ct, sha256) VALUES ${values}
         ON CONFLICT (upload_id, block, feature) DO NOTHING`,
        [uploadId, block, ...rows.flatMap((r) => [r.feature, r.ct, r.sha256])],
      );
      const inserted = rowCount ?? 0;
      if (inserted < rows.length) {
        const stored = await client.query<{ feature: number; sha256: string }>(
          `SELECT feature, sha256 FROM csp.feature_ciphertexts WHERE upload_id = $1::uuid AND block = $2::int AND feature >= $3::int AND feature < $4::int`,
          [uploadId, block, first, first + rows.length],
        );
        const sha = new Map(stored.rows.map((s) => [s.feature, s.sha256]));
        const differs = rows.find((r) => sha.get(r.feature) !== r.sha256);
        if (differs)
          throw new AppError(
            "CONFLICT",
            `Ciphertext (${block}, ${differs.feature}) was already received with different content. Nothing of this run was stored.`,
          );
      }
      return { block, first, count: rows.length, duplicate: inserted === 0 };
    },
    { timeoutMs: TX.timeout },
  );
}

/**
 * SEAL's serialisation header (16 bytes, little endian): magic 0xA15E, header size 16, version
 * 4.x, compression mode (0 none, 1 zlib, 2 zstd), 2 reserved bytes, total size (uint64).
 */
function sealHeaderProblem(bytes: Uint8Array): string | null {
  if (bytes.length < 16) return "too short";
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0, true) !== 0xa15e || view.getUint8(2) !== 16) return "not a SEAL object";
  if (view.getUint8(3) !== 4) return "unsupported SEAL version";
  if (view.getUint8(5) > 2) return "unknown compression";
  if (view.getBigUint64(8, true) !== BigInt(bytes.length)) return "truncated or padded";
  return null;
}

/**
 * Loads SEAL bytes as a fresh top-level ciphertext at the fresh scale (what a browser's public-key
 * encryption gives) under the parameters `paramsId` names, or throws VALIDATION.
 */
async function checkFreshCiphertext(ct: Uint8Array, what: string, paramsId: string) {
  if (ct.length === 0 || ct.length > FEATURE_LIMITS.maxCiphertextBytes) throw new AppError("VALIDATION", "Ciphertext size is out of range.");
  // SEAL aborts its WebAssembly instance on some malformed inputs: check the header first.
  const header = sealHeaderProblem(ct);
  if (header) throw new AppError("VALIDATION", `Ciphertext rejected: ${header}.`);
  const blind = paramsId === BLIND_PARAMS_ID;
  const ckks = await nodeCkks();
  const load = blind ? blindBytes(await nodeBlindContext()).load : (bytes: Uint8Array) => ckks.loadCiphertext(bytes);
  try {
    const loaded = load(ct);
    try {
      // the blind protocol's top level: every prime of the chain but the special one
      if (blind) expectCiphertext(loaded, BLIND_PROTOCOL.chain.length - 1, BLIND_SCALE, what);
      else expectCiphertext(loaded, LEVEL.top, ckks.featureScale, what);
      if (loaded.size !== 2) throw new RangeError("not a fresh ciphertext");
    } finally {
      loaded.delete();
    }
  } catch (error) {
    throw new AppError("VALIDATION", `Ciphertext rejected: ${error instanceof Error ? error.message : "it does not load under the protocol's parameters"}.`);
  }
}

/**
 * Stores the upload's column statistics, CKKS-encrypted by the browser (lib/hopcm/encrypted
 * `encryptColumnStats`): only the key holder can read them. Same bytes again: harmless.
 */
export async function putFeatureStats({ uploadId, organisationId, ct }: { uploadId: string; organisationId: string; ct: Uint8Array }) {
  const features = await receivingFeatures(uploadId, organisationId);
  if (features.paramsId === BLIND_PARAMS_ID) reject("the blind protocol's features carry no column statistics");
  await checkFreshCiphertext(ct, "column statistics", features.paramsId);
  if (features.statsCt) {
    if (Buffer.compare(Buffer.from(features.statsCt), Buffer.from(ct)) !== 0)
      throw new AppError("CONFLICT", "The column statistics were already received with different content.");
    return { duplicate: true };
  }
  await db().uploadFeatures.update({ where: { uploadId }, data: { statsCt: new Uint8Array(ct) } });
  return { duplicate: false };
}

/** Marks the features complete once every (block, feature) ciphertext and the statistics are there, with its audit entry. */
export async function completeFeatures({ uploadId, organisationId, actorId }: { uploadId: string; organisationId: string; actorId: string }) {
  const features = await receivingFeatures(uploadId, organisationId);
  const have = await db().featureCiphertext.findMany({ where: { uploadId }, select: { block: true, feature: true } });
  const got = new Set(have.map((c) => c.block * features.p + c.feature));
  const missing: Array<{ block: number; feature: number } | "stats"> = [];
  for (let b = 0; b < features.blockCount; b++) for (let l = 0; l < features.p; l++) if (!got.has(b * features.p + l)) missing.push({ block: b, feature: l });
  if (!features.statsCt && features.paramsId !== BLIND_PARAMS_ID) missing.push("stats");
  if (missing.length) return { missing };
  return db().$transaction(async (tx) => {
    const changed = await tx.uploadFeatures.updateMany({ where: { uploadId, status: "RECEIVING" }, data: { status: "STORED", storedAt: new Date() } });
    if (changed.count !== 1) throw new AppError("INVALID_STATE", "This upload's features are already complete.");
    await appendCspAudit(tx, {
      actorId,
      action: "UPLOAD_FEATURES_STORED",
      subjectType: "upload",
      subjectId: uploadId,
      data: { n: features.n, p: features.p, blocks: features.blockCount },
    });
    return { stored: features.ciphertextCount };
  }, TX);
}

/** Shapes of the stored features of these uploads (for starting a run); missing or unfinished ones are left out. */
export async function storedFeatureShapes(uploadIds: string[]) {
  return db().uploadFeatures.findMany({
    where: { uploadId: { in: uploadIds }, status: "STORED", upload: { status: "STORED" } },
    select: { uploadId: true, paramsId: true, ckksKeyId: true, n: true, p: true, columns: true, upload: { select: { organisationId: true, policy: true } } },
  });
}

/** The stored feature blocks of each upload, in the order given (the CSP's input to a run). */
export async function loadEncryptedFeatures(
  uploadIds: string[],
): Promise<Array<EncryptedFeatures & { uploadId: string; keyId: string; columns: string[]; stats: Uint8Array | null }>> {
  const ckks = await nodeCkks();
  const out = [];
  for (const uploadId of uploadIds) {
    const f = await db().uploadFeatures.findUnique({ where: { uploadId } });
    if (!f || f.status !== "STORED") throw new AppError("INVALID_STATE", `The features of upload ${uploadId} are not stored.`);
    const cts = await db().featureCiphertext.findMany({
      where: { uploadId },
      orderBy: [{ block: "asc" }, { feature: "asc" }],
      select: { block: true, feature: true, ct: true },
    });
    if (cts.length !== f.ciphertextCount)
      throw new AppError("INVALID_STATE", `Upload ${uploadId} has ${cts.length} of ${f.ciphertextCount} feature ciphertexts.`);
    const blocks: Uint8Array[][] = Array.from({ length: f.blockCount }, () => new Array<Uint8Array>(f.p));
    for (const c of cts) blocks[c.block][c.feature] = new Uint8Array(c.ct);
    out.push({
      uploadId,
      keyId: f.ckksKeyId,
      columns: fromJson(StringList, f.columns, "upload_features.columns"),
      paramsId: f.paramsId,
      n: f.n,
      p: f.p,
      slots: ckks.slots,
      blocks,
      stats: f.statsCt ? new Uint8Array(f.statsCt) : null, // null: sent before run-wide units existed
    });
  }
  return out;
}

/**
 * Stored uploads that cannot be clustered because their encrypted feature tensors are missing
 * or incomplete, with why: the clustering picker lists them so no upload silently disappears.
 */
export async function uploadsWithoutFeatures() {
  const uploads = await db().upload.findMany({
    where: { status: "STORED", OR: [{ features: null }, { features: { status: { not: "STORED" } } }] },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      label: true,
      recordCount: true,
      organisationId: true,
      features: { select: { ciphertextCount: true, _count: { select: { ciphertexts: true } } } },
    },
  });
  return uploads.map(({ features, ...u }) => ({
    ...u,
    reason: features
      ? `its encrypted clustering tensors are incomplete (${features._count.ciphertexts} of ${features.ciphertextCount} arrived); the hospital can retry sending them from its uploads page`
      : "the hospital sent no encrypted clustering tensors (the file has fewer than two numeric fields, or sending them failed)",
  }));
}
