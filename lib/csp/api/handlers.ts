import "server-only";
import { decodeAttributeVk, type AttributeVk } from "@/lib/abe";
import {
  abandonUpload,
  beginUpload,
  completeUpload,
  listUploads,
  putChunk,
  uploadProgress,
  storedUpload,
  uploadsByDigest,
  deleteUpload,
  describeUpload,
} from "@/lib/csp/uploads";
import { db } from "@/lib/db/client";
import { verifyChain } from "@/lib/ledger/verify";
import { witnessState } from "@/lib/ledger/witness";
import { witnessNow } from "@/lib/ledger/witness-loop";
import { uploadLogProof } from "@/lib/ledger/upload-proof";
import { beginFeatures, completeFeatures, putFeatureRun, putFeatureStats, uploadsWithoutFeatures } from "@/lib/csp/features";
import type { z } from "zod";
import type { cspApi, CspOp } from "./wire";
import { requestHandlers } from "./requests.handlers";
import { clusteringHandlers } from "./clustering.handlers";

/** What the CSP knows of the caller: the authority's token, checked (lib/csp/api/serve.ts). */
export type Caller = { org: string; sub: string; op: CspOp; res?: string };
export type In<K extends CspOp> = z.output<(typeof cspApi)[K]["input"]>;
export type Handlers<K extends CspOp = CspOp> = { [O in K]: (input: In<O>, caller: Caller) => Promise<unknown> };

const vkMap = (encoded: Record<string, Uint8Array>) => new Map<string, AttributeVk>(Object.entries(encoded).map(([name, vk]) => [name, decodeAttributeVk(vk)]));

/** Each operation of the CSP's API (./wire.ts), on the CSP's own tables only. */
export const handlers = {
  "uploads.begin": ({ vks, ...upload }, c) =>
    beginUpload({ ...upload, organisationId: c.org, uploaderId: c.sub }, { policy: vkMap(vks.policy), signature: vkMap(vks.signature) }),
  "uploads.putChunk": ({ uploadId, index, data }, c) => putChunk({ uploadId, organisationId: c.org, index, data }),
  "uploads.progress": ({ uploadId }, c) => uploadProgress({ uploadId, organisationId: c.org }),
  "uploads.complete": ({ uploadId }, c) => completeUpload({ uploadId, organisationId: c.org, actorId: c.sub }),
  "uploads.abandon": async ({ uploadId }, c) => (await abandonUpload({ uploadId, organisationId: c.org, actorId: c.sub }), { discarded: true }),
  "uploads.list": ({ currentVersions }, c) => listUploads(c.org, currentVersions),
  "uploads.get": ({ uploadId }, c) => storedUpload({ uploadId, organisationId: c.org }),
  "uploads.byDigest": ({ sourceDigest }, c) => uploadsByDigest(c.org, sourceDigest),
  "uploads.describe": ({ uploadId, note }, c) => describeUpload({ uploadId, organisationId: c.org, actorId: c.sub, note }),
  "uploads.delete": ({ uploadId }, c) => deleteUpload({ uploadId, organisationId: c.org, actorId: c.sub }),
  "features.begin": ({ uploadId, ...input }, c) => beginFeatures({ uploadId, organisationId: c.org, input }),
  "features.putBlock": ({ uploadId, block, batch }, c) => putFeatureRun({ uploadId, organisationId: c.org, block, batch }),
  "features.stats": ({ uploadId, ct }, c) => putFeatureStats({ uploadId, organisationId: c.org, ct }),
  "features.complete": ({ uploadId }, c) => completeFeatures({ uploadId, organisationId: c.org, actorId: c.sub }),
  "features.missing": () => uploadsWithoutFeatures(),
  "ledger.entries": ({ take, before, action, actorId }) =>
    db().cspAuditEntry.findMany({
      where: { ...(before ? { seq: { lt: BigInt(before) } } : {}), ...(action ? { action } : {}), ...(actorId ? { actorId } : {}) },
      orderBy: { seq: "desc" },
      take,
    }),
  "ledger.verify": () => verifyChain(db(), 1000, "csp"),
  "log.witnessState": () => witnessState(db(), "csp"),
  "log.witnessNow": () => witnessNow(),
  "log.uploadProof": ({ uploadId, since }, c) => uploadLogProof(db(), uploadId, c.org, since),
  ...requestHandlers,
  ...clusteringHandlers,
} satisfies Handlers;

export type CspOutput<K extends CspOp> = Awaited<ReturnType<(typeof handlers)[K]>>;
