/**
 * Browser side of `npm run bench:upload-crypto` (scripts/bench-upload-crypto.ts bundles this file with esbuild
 * into an IIFE and loads it into about:blank in Chromium).
 *
 * Defines `globalThis.medshareUploadBench(input)`, which runs what the upload wizard and its
 * worker do for one file (components/upload/upload-wizard.tsx, encrypt.worker.ts), with
 * performance.now() around each phase:
 *   parse    parseCsvDataset(csv text)
 *   encode   { id: random UUID, data: recordBytes(row, columns) } per row
 *   keys     decode the policy's VKs and the signer's key + VK (base64 -> lib/abe objects)
 *   encrypt  encryptBatch(pp, vks, policy, records): one ABE-OD envelope + AES-GCM per record
 *   sign     absSign over uploadSignatureMessage(envelopeDigest(envelope), org, gid)
 *   pack     packRecords(records) + encoding the envelope and signature for the upload request
 * Nothing here touches the network or the DOM.
 */
import {
  absSign,
  decodeAttributeVk,
  decodeUserKeys,
  encodeAbsSignature,
  encodeEnvelope,
  encryptBatch,
  envelopeDigest,
  arithmeticBackend,
  setupGlobal,
  type AttributeVk,
  type G2,
} from "@/lib/abe";
import { b64 } from "@/lib/keystore/sealed";
import { parseCsvDataset } from "@/lib/records/csv-import";
import { hasErrors } from "@/lib/records/dataset";
import { recordBytes } from "@/lib/records/encode";
import { packRecords, uploadSignatureMessage } from "@/lib/uploads/protocol";

export type UploadBenchInput = {
  csv: string;
  policy: string;
  /** attribute -> base64 of encodeAttributeVk, for the policy's attributes */
  policyVks: Record<string, string>;
  signer: { gid: string; organisationId: string; attribute: string; key: string; vk: string };
  /** Return the envelope, signature and first chunk (base64) so Node can check them. */
  returnArtifacts?: boolean;
};

/** The upload id and label the benchmark signs (a real upload's come from the browser). */
export const BENCH_STATEMENT = { uploadId: "00000000-0000-4000-8000-000000000000", label: "bench" } as const;

export type UploadBenchPhases = { parse: number; encode: number; keys: number; encrypt: number; sign: number; pack: number };

export type UploadBenchResult = {
  backend: "wasm" | "noble";
  /** whether crypto.randomUUID existed (false on about:blank: not a secure context) */
  nativeRandomUUID: boolean;
  rows: number;
  columns: number;
  /** UTF-8 bytes of the encoded records (canonical JSON) */
  plaintextBytes: number;
  /** bytes of all chunks (what goes to the CSP besides the small JSON request) */
  chunkBytes: number;
  chunks: number;
  envelopeBytes: number;
  signatureBytes: number;
  ms: UploadBenchPhases & { total: number };
  /** encryptBatch over one record (≈ the ABE-OD envelope alone), measured after the pipeline */
  envelopeOnlyMs: number;
  artifacts?: { envelope: string; signature: string; firstChunk: string; firstRecord: string };
};

/**
 * about:blank is not a secure context, so Chromium hides crypto.randomUUID there (the app runs
 * on https or localhost, where it exists). Same format from crypto.getRandomValues instead.
 */
const randomUUID: () => string =
  typeof crypto.randomUUID === "function"
    ? () => crypto.randomUUID()
    : () => {
        const b = crypto.getRandomValues(new Uint8Array(16));
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      };

function run(input: UploadBenchInput): UploadBenchResult {
  const now = () => performance.now();
  const t0 = now();

  const parsed = parseCsvDataset(input.csv);
  if (!parsed.dataset || hasErrors(parsed.issues))
    throw new Error(
      `CSV did not parse: ${parsed.issues
        .slice(0, 3)
        .map((i) => i.message)
        .join("; ")}`,
    );
  const dataset = parsed.dataset;
  const t1 = now();

  const columns = dataset.columns.map((c) => c.name);
  const records = dataset.rows.map((row) => ({ id: randomUUID(), data: recordBytes(row, columns) }));
  const t2 = now();

  const pp = setupGlobal();
  const vks = new Map<string, AttributeVk>(Object.entries(input.policyVks).map(([a, vk]) => [a, decodeAttributeVk(b64.decode(vk))]));
  const signKeys = new Map<string, G2>([[input.signer.attribute, decodeUserKeys(b64.decode(input.signer.key)).keys.get(input.signer.attribute)!]]);
  const signVks = new Map<string, AttributeVk>([[input.signer.attribute, decodeAttributeVk(b64.decode(input.signer.vk))]]);
  const t3 = now();

  const { envelope, records: sealed } = encryptBatch(pp, vks, input.policy, records);
  const t4 = now();

  // Packed before signing: the upload signature covers the chunk count and total bytes.
  const chunks = packRecords(sealed);
  const t5 = now();

  const signature = absSign({
    message: uploadSignatureMessage(envelopeDigest(envelope), {
      ...BENCH_STATEMENT,
      organisationId: input.signer.organisationId,
      signerGid: input.signer.gid,
      recordCount: sealed.length,
      chunkCount: chunks.length,
      totalBytes: chunks.reduce((n, c) => n + c.length, 0),
    }),
    policy: input.signer.attribute,
    gid: input.signer.gid,
    keys: signKeys,
    vks: signVks,
  });
  const envelopeBytes = encodeEnvelope(envelope);
  const signatureBytes = encodeAbsSignature(signature);
  const envelopeB64 = b64.encode(envelopeBytes);
  const signatureB64 = b64.encode(signatureBytes);
  const t6 = now();

  // Not part of the pipeline (outside the total): the envelope's own share of "encrypt",
  // estimated as encryptBatch over the first record alone.
  const t7 = now();
  encryptBatch(pp, vks, input.policy, records.slice(0, 1));
  const envelopeOnly = now() - t7;

  return {
    backend: arithmeticBackend(),
    nativeRandomUUID: typeof crypto.randomUUID === "function",
    rows: records.length,
    columns: columns.length,
    plaintextBytes: records.reduce((n, r) => n + r.data.length, 0),
    chunkBytes: chunks.reduce((n, c) => n + c.length, 0),
    chunks: chunks.length,
    envelopeBytes: envelopeBytes.length,
    signatureBytes: signatureBytes.length,
    envelopeOnlyMs: envelopeOnly,
    ms: { parse: t1 - t0, encode: t2 - t1, keys: t3 - t2, encrypt: t4 - t3, pack: t5 - t4, sign: t6 - t5, total: t6 - t0 },
    artifacts: input.returnArtifacts
      ? { envelope: envelopeB64, signature: signatureB64, firstChunk: b64.encode(chunks[0]), firstRecord: b64.encode(records[0].data) }
      : undefined,
  };
}

(globalThis as unknown as { medshareUploadBench: typeof run }).medshareUploadBench = run;
