/**
 * The upload protocol, in the hospital's browser: the records sealed in parallel workers
 * (ABE-OD envelope, per-record AES-GCM, Merkle leaves) and signed with the hospital's attribute
 * key; the clustering tensors encrypted under the authority's CKKS key alongside; the package
 * kept in this browser until stored (for a resume after a reload); then the chunks and the
 * tensors sent to the cloud. The wizard (upload-wizard.tsx) gathers the choices and shows the
 * progress; nothing here touches the page.
 */
import { formatPolicy, policyAttributes, type PolicyNode } from "@/lib/abe";
import { callWorker } from "@/lib/browser/worker-call";
import { keyId } from "@/lib/keystore/contexts";
import { latestVersions, type PublicKeyRow } from "@/lib/keystore/operations";
import type { KeystoreContents } from "@/lib/keystore/sealed";
import type { Dataset } from "@/lib/records/dataset";
import { numericFeatureColumns } from "@/lib/records/encode";
import { ConnectionLost, finishUpload, sendFeatures, startUpload, UploadError, type UploadBody } from "@/lib/uploads/client";
import { deletePending, keepFeaturesOnly, savePending, type PendingFeatures, type PendingUpload } from "@/lib/uploads/pending-store";
import { measureSince, timed } from "@/lib/uploads/timing";
import { sealEnvelopeAndSign, sealRows } from "./encrypt-records";
import type { FeaturesJob, FeaturesMessage } from "./features.worker";

/** What a resume says when the page was left before the tensors were kept beside the records. */
const TENSORS_NOT_KEPT =
  "The clustering tensors were not yet kept in this browser when the upload was interrupted, so the records are stored without them; upload the file again to cluster it.";

/** What the person chose in the wizard. */
export type UploadPlan = {
  dataset: Dataset;
  policy: PolicyNode;
  /** The published attribute keys (all versions; the current ones encrypt). */
  publicKeys: PublicKeyRow[];
  contents: KeystoreContents;
  /** The attribute the batch is signed with (e.g. HA1.hospital). */
  signer: string;
  organisationId: string;
  label: string;
  format: "csv" | "fhir";
  /** The upload this one re-encrypts. */
  replaces?: string;
  sourceDigest?: string;
  decision: Pick<UploadBody, "decisionMode" | "approverId" | "reviewerId">;
  /** When the file was picked (performance.now()), for the "total" timing; null if unknown. */
  pickedAt: number | null;
  /** Tensors for the blind clustering protocol (the key holder sees per-cluster totals only) instead of the standard one. */
  blind?: boolean;
};

export type UploadProgress = {
  encrypt: number;
  upload: { sent: number; total: number } | null;
  features: { sent: number; total: number } | null;
  note: string;
};

export type UploadOutcome =
  | { name: "done"; records: number; seconds: number; features: { failed: boolean; note: string } }
  | { name: "paused"; message: string }
  | { name: "failed"; message: string };

/**
 * Encrypts the numeric fields under the authority's CKKS key in a worker, so the cloud can
 * cluster the records without seeing a value. Null (with a note) when there is nothing to send.
 */
async function encryptFeatures(dataset: Dataset, blind: boolean, onNote: (note: string) => void): Promise<{ features: PendingFeatures | null; note: string }> {
  const columns = numericFeatureColumns(dataset);
  if (columns.length < 2) return { features: null, note: "Not enough numeric fields for clustering; records are stored without feature tensors." };
  const keyRes = await fetch(`/api/ckks/public-key?protocol=${blind ? "blind" : "standard"}`);
  const key = await keyRes.json();
  if (!keyRes.ok) throw new UploadError(key?.error?.message ?? "Could not load the clustering key.");
  const job: FeaturesJob = {
    records: dataset.rows.map((r) => Object.fromEntries(columns.map((c) => [c, typeof r[c] === "number" ? (r[c] as number) : null]))),
    columns,
    publicKey: Uint8Array.from(atob(key.publicKey), (ch) => ch.charCodeAt(0)),
    paramsId: key.paramsId,
  };
  const done = await callWorker<FeaturesJob, FeaturesMessage>(
    () => new Worker(new URL("./features.worker.ts", import.meta.url), { type: "module" }),
    job,
    "The feature-encryption worker failed.",
    { onProgress: (m) => onNote(m.note) },
  ).catch((error: Error) => {
    throw new UploadError(error.message);
  });
  const { paramsId, n, p, columns: names, blocks, stats } = done;
  return {
    features: { paramsId, keyId: key.keyId, n, p, columns: names, blocks, stats },
    note: `${p} numeric fields were encrypted for ${blind ? "blind " : ""}clustering (CKKS) and stored.`,
  };
}

/**
 * Encrypts and uploads `plan.dataset`. Resolves with how it ended (stored; paused with the
 * package kept for a resume; refused before anything was sent); throws what the person must
 * read when the cloud refused it (nothing is kept then).
 */
export async function encryptAndUploadDataset(plan: UploadPlan, onProgress: (shown: UploadProgress) => void): Promise<UploadOutcome> {
  const startedAt = performance.now();
  const policyText = formatPolicy(plan.policy);
  const wanted = new Set(policyAttributes(plan.policy));
  const current = plan.publicKeys.filter((k) => k.current);
  const policyKeys = Object.fromEntries(current.filter((k) => wanted.has(k.attribute)).map((k) => [k.attribute, { version: k.version, vk: k.vk }]));
  const { contents, signer, organisationId, dataset } = plan;
  const signVersion = latestVersions(contents)[signer];
  const signVk = plan.publicKeys.find((k) => k.attribute === signer && k.version === signVersion);
  if (!signVk) return { name: "failed", message: `No public key for ${signer} v${signVersion}.` };
  const columns = dataset.columns.map((c) => c.name);
  const rows = dataset.rows.length;
  // The upload's id is chosen here and signed with the batch: the cloud accepts it once.
  const uploadId = crypto.randomUUID();
  const uploadLabel = plan.label;
  // Everything below runs at once where it can: what each part shows, in one place.
  const shown = {
    encrypt: 0,
    upload: null as { sent: number; total: number } | null,
    features: null as { sent: number; total: number } | null,
    note: `Encrypting ${rows.toLocaleString()} records and their clustering tensors in your browser…`,
  };
  // Once the upload has ended (stored, paused, failed), late progress from work still in flight
  // (e.g. tensors sent alongside refused records) must not bring "working" back.
  let live = true;
  const show = (change: Partial<typeof shown>) => {
    Object.assign(shown, change);
    if (live) onProgress({ ...shown });
  };
  show({});

  // The clustering tensors (CKKS) in their own worker, alongside the records' encryption.
  const tensors = timed("ckks", () => encryptFeatures(dataset, plan.blind === true, () => undefined)).catch(
    (error): { features: PendingFeatures | null; note: string } => ({
      features: null,
      note: `The records are stored, but their clustering tensors could not be encrypted (${(error as Error).message}).`,
    }),
  );
  // The records: slices sealed in parallel workers, then the envelope and signature over all of them.
  const zeta = crypto.getRandomValues(new Uint8Array(32));
  let result: Awaited<ReturnType<typeof sealEnvelopeAndSign>>;
  let sealed: Awaited<ReturnType<typeof sealRows>>;
  try {
    ({ result, sealed } = await timed("abe-aes", async () => {
      const sealed = await sealRows(dataset.rows, columns, zeta, (done, total) => show({ encrypt: 0.95 * (done / total) }));
      show({ note: "Signing the batch with your hospital's attribute key…" });
      const result = await sealEnvelopeAndSign({
        uploadId,
        label: uploadLabel,
        zeta,
        leaves: sealed.leaves,
        chunkCount: sealed.chunks.length,
        totalBytes: sealed.totalBytes,
        policy: policyText,
        policyKeys,
        signer: {
          gid: contents.gid,
          organisationId,
          policy: signer,
          keys: { [signer]: { version: signVersion, key: contents.keys[keyId(signer, signVersion)], vk: signVk.vk } },
        },
      });
      return { result, sealed };
    }));
  } catch (error) {
    live = false; // slices still finishing in other workers must not bring "working" back
    throw error;
  } finally {
    zeta.fill(0); // the envelope carries it to entitled readers; this page needs it no more
  }
  const chunks = sealed.chunks;
  const body: UploadBody = {
    uploadId,
    label: uploadLabel,
    format: plan.format,
    envelope: result.envelope,
    keyVersions: result.keyVersions,
    recordCount: rows,
    chunkCount: chunks.length,
    totalBytes: sealed.totalBytes,
    signature: result.signature,
    signaturePolicy: signer,
    signatureVersions: result.signatureVersions,
    ...(plan.replaces ? { replaces: plan.replaces } : {}),
    ...(plan.sourceDigest ? { sourceDigest: plan.sourceDigest } : {}),
    ...plan.decision,
  };
  // Kept in this browser (ciphertext only) until stored, discarded or expired: /hospital resumes
  // it. The records first: the start waits for them (a started upload can always be resumed), but
  // not for the clustering tensors (five times their size), which join the kept package while
  // the chunks travel.
  const recordsOnly: PendingUpload = { id: uploadId, organisationId, body, chunks, features: null, featuresNote: TENSORS_NOT_KEPT, savedAt: Date.now() };
  const kept = await timed(
    "keep",
    () =>
      savePending(recordsOnly)
        .then(() => true)
        .catch(() => false), // private windows may refuse storage: the upload still works, only not across a reload
  );
  const pending: Promise<PendingUpload> = tensors.then((encrypted) => ({ ...recordsOnly, features: encrypted.features, featuresNote: encrypted.note }));
  // settles once the tensors are kept (or could not be): anything that later deletes or rewrites the package waits for it
  const keepingTensors = kept ? pending.then((p) => savePending(p)).catch(() => undefined) : Promise.resolve();
  show({ encrypt: 1, upload: { sent: 0, total: chunks.length }, note: "Uploading ciphertexts to the cloud…" });
  let started = false;
  try {
    const { id } = await timed("start", () => startUpload(body));
    started = true;
    // The record chunks first, then the clustering tensors while the cloud checks and stores the
    // records: sent together, the tensors' 6 MB requests held each chunk up for seconds (bench,
    // 2026-12-06). The tensors are marked complete only once the records are stored (a paused
    // upload resumes both).
    let chunksSent = () => {};
    const chunksAway = new Promise<void>((resolve) => (chunksSent = resolve));
    const records = finishUpload(id, chunks, (sent, total) => show({ upload: { sent, total } }), chunksSent);
    void records.catch(() => undefined).finally(chunksSent);
    // declared at once (a declaration waits for the records' completion otherwise), their runs after the chunks
    const features = timed("features-upload", async () => {
      const encrypted = await tensors;
      return sendFeatures(id, encrypted.features, encrypted.note, (sent, total) => show({ features: { sent, total } }), records, chunksAway);
    });
    const done = await records;
    show({ note: "Sending encrypted feature tensors for clustering…" });
    const featuresDone = await features;
    await keepingTensors;
    // sending the tensors failed: keep them (not the chunks) so /hospital can send them again
    if (featuresDone.failed && kept) await keepFeaturesOnly(await pending).catch(() => undefined);
    else await deletePending(uploadId).catch(() => undefined);
    if (plan.pickedAt !== null) measureSince("total", plan.pickedAt);
    live = false;
    return { name: "done", records: done.stored, seconds: (performance.now() - startedAt) / 1000, features: featuresDone };
  } catch (error) {
    live = false;
    await keepingTensors;
    if (started && kept && error instanceof ConnectionLost) return { name: "paused", message: error.message };
    // refused by the server (it keeps nothing) or never started: the package is of no use
    await deletePending(uploadId).catch(() => undefined);
    throw error;
  }
}
